import {
  parseTokenEndpointRequest,
  runTokenRequest,
  type ParsedTokenRequest,
  type TokenEndpointDependencies,
} from '../core/token-endpoint.js';
import { CORS_ROUTES } from '../http/cors.js';
import { withEdge, type EdgeDependencies } from '../http/edge.js';
import { serveTokenRoute, type TokenRoute, type TokenRouteSettings } from '../http/token-route.js';

export interface OAuthTokenHandlerDependencies extends TokenRouteSettings {
  endpoint: TokenEndpointDependencies;
  /** CORS, origin verification behind CloudFront, the caller's IP (DESIGN section 12). */
  edge?: EdgeDependencies;
}

const tokenEndpointRoute: TokenRoute<OAuthTokenHandlerDependencies, ParsedTokenRequest, Awaited<ReturnType<typeof runTokenRequest>>> = {
  parse: parseTokenEndpointRequest,
  clientId: (parsed) => parsed.request.client_id,
  run: (parsed, deps, context) => runTokenRequest(parsed, deps.endpoint, context),
  requestAudit: (parsed) => ({ grant_type: parsed.grant.grantType, client_id: parsed.request.client_id }),
  outcomeAudit: (outcome) => ({
    ...(outcome.connection ? { connection: outcome.connection } : {}),
    ...(outcome.strategy ? { strategy: outcome.strategy } : {}),
  }),
};

/** `POST /oauth/token` (DESIGN section 9): parse, call the core, format. */
export const handleOAuthTokenEvent = withEdge<OAuthTokenHandlerDependencies>(CORS_ROUTES['/oauth/token'], (event, deps, edge) =>
  serveTokenRoute(tokenEndpointRoute, event, deps, edge),
);
