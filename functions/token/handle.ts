import { exchangeToken, type ExchangeDependencies } from '../core/exchange.js';
import { parseTokenRequest, type TokenRequest } from '../core/token-request.js';
import { CORS_ROUTES } from '../http/cors.js';
import { withEdge, type EdgeDependencies } from '../http/edge.js';
import { serveTokenRoute, type TokenRoute, type TokenRouteSettings } from '../http/token-route.js';

export interface TokenHandlerDependencies extends TokenRouteSettings {
  exchange: ExchangeDependencies;
  edge?: EdgeDependencies;
}

const legacyRoute: TokenRoute<TokenHandlerDependencies, TokenRequest, Awaited<ReturnType<typeof exchangeToken>>> = {
  parse: parseTokenRequest,
  clientId: (request) => request.client_id,
  run: (request, deps, context) => exchangeToken(request, deps.exchange, context),
  requestAudit: (request) => ({ client_id: request.client_id, connection: request.connection }),
  outcomeAudit: (outcome) => ({ strategy: outcome.strategy }),
};

/** `POST /oauth/access_token`: parse, call the core, format. */
export const handleTokenEvent = withEdge<TokenHandlerDependencies>(CORS_ROUTES['/oauth/access_token'], (event, deps, edge) =>
  serveTokenRoute(legacyRoute, event, deps, edge),
);
