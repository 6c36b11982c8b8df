import type { APIGatewayProxyResult } from 'aws-lambda';
import { errors, OAuthError } from '../core/errors.js';
import { logger } from '../core/logger.js';

export type HttpResult = APIGatewayProxyResult & { headers: Record<string, string> };

/** RFC 6749 section 5.1: token responses and their errors must not be cached. */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = NO_STORE,
): HttpResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The one place an error becomes a response. Unknown errors never show their details. */
export const errorResponse = (error: unknown, extraHeaders: Record<string, string> = {}): HttpResult => {
  const oauth = toOAuthError(error);
  if (oauth.status >= 500) {
    logger.error('request failed', { reason: oauth.reason, status: oauth.status, cause: causeSummary(oauth.cause ?? error) });
  }
  const retryAfter: Record<string, string> = oauth.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(oauth.retryAfterSeconds) };
  return jsonResponse(oauth.status, oauth.toJSON(), { ...NO_STORE, ...retryAfter, ...extraHeaders });
};

export const toOAuthError = (error: unknown): OAuthError => (error instanceof OAuthError ? error : errors.unexpected(error));

const causeSummary = (cause: unknown): Record<string, unknown> | undefined => {
  if (!(cause instanceof Error)) return undefined;
  return { name: cause.name, message: cause.message.slice(0, 300) };
};
