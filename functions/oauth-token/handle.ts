import { auditExchange } from '../core/audit.js';
import { REQUEST_DEADLINE_MS, withinDeadline } from '../core/deadline.js';
import { MAX_BODY_BYTES } from '../core/token-request.js';
import {
  parseTokenEndpointRequest,
  runTokenRequest,
  type ParsedTokenRequest,
  type TokenEndpointDependencies,
} from '../core/token-endpoint.js';
import { issuerFromRequest, toHttpRequest } from '../http/event.js';
import { CORS_ROUTES } from '../http/cors.js';
import { withEdge, type EdgeDependencies } from '../http/edge.js';
import { errorResponse, jsonResponse, toOAuthError, type HttpResult } from '../http/response.js';

export interface OAuthTokenHandlerDependencies {
  endpoint: TokenEndpointDependencies;
  /** Configured issuer; derived from the request when undefined. */
  issuer: string | undefined;
  /** Time limit of one request; default REQUEST_DEADLINE_MS. */
  deadlineMs?: number;
  /** CORS, origin verification behind CloudFront, the caller's IP (DESIGN section 12). */
  edge?: EdgeDependencies;
}

/** `POST /oauth/token` (DESIGN section 9): parse, call the core, format. */
export const handleOAuthTokenEvent = withEdge<OAuthTokenHandlerDependencies>(CORS_ROUTES['/oauth/token'], async (event, deps, edge): Promise<HttpResult> => {
  const started = performance.now();
  let parsed: ParsedTokenRequest | undefined;
  try {
    const http = toHttpRequest(event, MAX_BODY_BYTES);
    parsed = parseTokenEndpointRequest({ contentType: http.headers['content-type'], text: http.body });
    edge.attribute(parsed.request.client_id);
    const context = { issuer: deps.issuer ?? issuerFromRequest(http), ...(edge.sourceIp ? { sourceIp: edge.sourceIp } : {}) };
    const outcome = await withinDeadline(
      runTokenRequest(parsed, deps.endpoint, context),
      deps.deadlineMs ?? REQUEST_DEADLINE_MS,
    );
    auditExchange({
      outcome: 'success',
      grant_type: parsed.grant.grantType,
      client_id: parsed.request.client_id,
      ...(outcome.connection ? { connection: outcome.connection } : {}),
      ...(outcome.strategy ? { strategy: outcome.strategy } : {}),
      user_id: outcome.userId,
      status: 200,
      latency_ms: Math.round(performance.now() - started),
    });
    return jsonResponse(200, outcome.result);
  } catch (error) {
    const oauth = toOAuthError(error);
    auditExchange({
      outcome: 'failure',
      ...(parsed ? { grant_type: parsed.grant.grantType, client_id: parsed.request.client_id } : {}),
      status: oauth.status,
      reason: oauth.reason,
      latency_ms: Math.round(performance.now() - started),
    });
    return errorResponse(oauth);
  }
});
