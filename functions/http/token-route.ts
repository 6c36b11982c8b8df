import { auditExchange, type ExchangeAudit } from '../core/audit.js';
import { REQUEST_DEADLINE_MS, withinDeadline } from '../core/deadline.js';
import type { RequestContext } from '../core/ports.js';
import { MAX_BODY_BYTES, type RawBody } from '../core/token-request.js';
import type { RequestEdge } from './edge.js';
import { issuerFromRequest, toHttpRequest, type ApiGatewayEvent } from './event.js';
import { errorResponse, jsonResponse, toOAuthError, type HttpResult } from './response.js';

/** One token endpoint's own parts; the skeleton around them is `serveTokenRoute`. */
export interface TokenRoute<Deps, Request, Outcome extends { result: unknown; userId: string }> {
  parse(body: RawBody): Request;
  clientId(request: Request): string;
  run(request: Request, deps: Deps, context: RequestContext): Promise<Outcome>;
  /** Audit fields known once the request is parsed: they are logged on failure as well. */
  requestAudit(request: Request): Partial<ExchangeAudit>;
  /** Audit fields the outcome adds to a success. */
  outcomeAudit(outcome: Outcome): Partial<ExchangeAudit>;
}

/** What both handlers' dependencies carry besides their use case's. */
export interface TokenRouteSettings {
  /** Configured issuer; derived from the request when undefined. */
  issuer: string | undefined;
  /** Time limit of one request; default REQUEST_DEADLINE_MS. */
  deadlineMs?: number;
}

/**
 * `POST /oauth/access_token` and `POST /oauth/token` alike: parse, attribute the answer to
 * its client (CORS, limits), run the use case under the request deadline, write one audit
 * event, answer. Every failure becomes an OAuth error answer with its audit event.
 */
export const serveTokenRoute = async <Deps extends TokenRouteSettings, Request, Outcome extends { result: unknown; userId: string }>(
  route: TokenRoute<Deps, Request, Outcome>,
  event: ApiGatewayEvent,
  deps: Deps,
  edge: RequestEdge,
): Promise<HttpResult> => {
  const started = performance.now();
  let request: Request | undefined;
  try {
    const http = toHttpRequest(event, MAX_BODY_BYTES);
    request = route.parse({ contentType: http.headers['content-type'], text: http.body });
    edge.attribute(route.clientId(request));
    const context = { issuer: deps.issuer ?? issuerFromRequest(http), ...(edge.sourceIp ? { sourceIp: edge.sourceIp } : {}) };
    const outcome = await withinDeadline(route.run(request, deps, context), deps.deadlineMs ?? REQUEST_DEADLINE_MS);
    auditExchange({
      outcome: 'success',
      ...route.requestAudit(request),
      ...route.outcomeAudit(outcome),
      user_id: outcome.userId,
      status: 200,
      latency_ms: Math.round(performance.now() - started),
    });
    return jsonResponse(200, outcome.result);
  } catch (error) {
    const oauth = toOAuthError(error);
    auditExchange({
      outcome: 'failure',
      ...(request !== undefined ? route.requestAudit(request) : {}),
      status: oauth.status,
      reason: oauth.reason,
      latency_ms: Math.round(performance.now() - started),
    });
    return errorResponse(oauth);
  }
};
