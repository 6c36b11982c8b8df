import { logger } from '../core/logger.js';
import { REQUEST_DEADLINE_MS, withinDeadline } from '../core/deadline.js';
import { parseRevokeRequest, revokeToken, type RevokeDependencies } from '../core/revoke.js';
import { toHttpRequest } from '../http/event.js';
import { CORS_ROUTES } from '../http/cors.js';
import { withEdge, type EdgeDependencies } from '../http/edge.js';
import { errorResponse, toOAuthError, type HttpResult } from '../http/response.js';

export interface RevokeHandlerDependencies {
  revoke: RevokeDependencies;
  deadlineMs?: number;
  /** CORS and origin verification behind CloudFront (DESIGN section 12). */
  edge?: EdgeDependencies;
}

const MAX_BODY_BYTES = 4 * 1024;

/** `POST /oauth/revoke` (RFC 7009): parse, call the core, answer 200 with an empty body. */
export const handleRevokeEvent = withEdge<RevokeHandlerDependencies>(CORS_ROUTES['/oauth/revoke'], async (event, deps, edge): Promise<HttpResult> => {
  const started = performance.now();
  let clientId: string | undefined;
  try {
    const http = toHttpRequest(event, MAX_BODY_BYTES);
    const request = parseRevokeRequest({ contentType: http.headers['content-type'], text: http.body });
    clientId = request.client_id;
    edge.attribute(clientId);
    const outcome = await withinDeadline(revokeToken(request, deps.revoke), deps.deadlineMs ?? REQUEST_DEADLINE_MS);
    logger.info('token_revocation', { audit: { outcome, client_id: clientId, status: 200, latency_ms: Math.round(performance.now() - started) } });
    return { statusCode: 200, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' }, body: '' };
  } catch (error) {
    const oauth = toOAuthError(error);
    logger.info('token_revocation', {
      audit: { outcome: 'failure', ...(clientId ? { client_id: clientId } : {}), status: oauth.status, reason: oauth.reason, latency_ms: Math.round(performance.now() - started) },
    });
    return errorResponse(oauth);
  }
});
