import { exchangeToken, type ExchangeDependencies, type ExchangeOutcome } from '../core/exchange.js';
import { errors } from '../core/errors.js';
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

/**
 * Each dependency has its own bound (provider call 5 s, DynamoDB and KMS about 3.5 s), but
 * a request can meet several of them in a row: a cold config read, the provider, the write
 * step and, for a linked identity, a second write step. This cap answers a 503 while the
 * token function (15 s timeout at least, see infra/stack.ts) can still answer at all,
 * instead of letting Lambda cut the request off with a bare 502/504.
 */
export const REQUEST_DEADLINE_MS = 13_000;

/**
 * Abandoning the exchange leaves its writes running: they are idempotent and the token was
 * never handed out, so a write that lands late at most counts a login. Its late rejection
 * is silenced.
 */
const withinDeadline = async (work: Promise<ExchangeOutcome>, ms: number): Promise<ExchangeOutcome> => {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(errors.unavailable('the request could not be completed in time', 'request_deadline')), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
};

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
