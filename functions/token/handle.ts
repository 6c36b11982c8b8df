import { exchangeToken, type ExchangeDependencies } from '../core/exchange.js';
import { REQUEST_DEADLINE_MS, withinDeadline } from '../core/deadline.js';
import { parseTokenRequest, MAX_BODY_BYTES, type TokenRequest } from '../core/token-request.js';
import { auditExchange } from '../core/audit.js';
import { issuerFromRequest, toHttpRequest } from '../http/event.js';
import { CORS_ROUTES } from '../http/cors.js';
import { withEdge, type EdgeDependencies } from '../http/edge.js';
import { errorResponse, jsonResponse, toOAuthError, type HttpResult } from '../http/response.js';

export interface TokenHandlerDependencies {
  exchange: ExchangeDependencies;
  /** Configured issuer; derived from the request when undefined. */
  issuer: string | undefined;
  /** Time limit of one exchange; default REQUEST_DEADLINE_MS. */
  deadlineMs?: number;
  edge?: EdgeDependencies;
}

export { REQUEST_DEADLINE_MS };

/** `POST /oauth/access_token`: parse, call the core, format. */
export const handleTokenEvent = withEdge<TokenHandlerDependencies>(CORS_ROUTES['/oauth/access_token'], async (event, deps, edge): Promise<HttpResult> => {
  const started = performance.now();
  let request: TokenRequest | undefined;
  try {
    const http = toHttpRequest(event, MAX_BODY_BYTES);
    request = parseTokenRequest({ contentType: http.headers['content-type'], text: http.body });
    edge.attribute(request.client_id);
    const context = { issuer: deps.issuer ?? issuerFromRequest(http), ...(edge.sourceIp ? { sourceIp: edge.sourceIp } : {}) };
    const outcome = await withinDeadline(
      exchangeToken(request, deps.exchange, context),
      deps.deadlineMs ?? REQUEST_DEADLINE_MS,
    );
    auditExchange({
      outcome: 'success',
      client_id: request.client_id,
      connection: request.connection,
      strategy: outcome.strategy,
      user_id: outcome.userId,
      status: 200,
      latency_ms: Math.round(performance.now() - started),
    });
    return jsonResponse(200, outcome.result);
  } catch (error) {
    const oauth = toOAuthError(error);
    auditExchange({
      outcome: 'failure',
      ...(request ? { client_id: request.client_id, connection: request.connection } : {}),
      status: oauth.status,
      reason: oauth.reason,
      latency_ms: Math.round(performance.now() - started),
    });
    return errorResponse(oauth);
  }
});
