import { errors, OAuthError } from '../core/errors.js';
import { hashAccessToken } from '../core/issue-tokens.js';
import { claimsForScopes } from '../core/scope.js';
import { toHttpRequest, type HttpRequest } from '../http/event.js';
import { CORS_ROUTES } from '../http/cors.js';
import { withEdge, type EdgeDependencies } from '../http/edge.js';
import { errorResponse, jsonResponse, toOAuthError, type HttpResult } from '../http/response.js';
import type { AccountReader, RefreshTokenStore, TokenStore } from '../core/ports.js';

export interface UserinfoDependencies {
  tokens: TokenStore;
  /** The user's profile and block state (DESIGN section 11). */
  users: AccountReader;
  /** Families: an access token issued with a revoked family no longer works. */
  refreshTokens: Pick<RefreshTokenStore, 'familyActive'>;
  edge?: EdgeDependencies;
}

const MAX_BODY_BYTES = 4 * 1024;

/** OIDC Core 5.3 UserInfo, with RFC 6750 bearer-token errors. */
export const handleUserinfoEvent = withEdge<UserinfoDependencies>(CORS_ROUTES['/userinfo'], async (event, deps, edge): Promise<HttpResult> => {
  try {
    const http = toHttpRequest(event, MAX_BODY_BYTES);
    const token = accessTokenOf(http);
    if (!token) throw missingCredentials();
    const record = await deps.tokens.find(hashAccessToken(token));
    if (!record) throw errors.invalidBearerToken();
    edge.attribute(record.clientId);
    // One parallel step: the user, and the family the token was issued with (if any).
    const [account, familyActive] = await Promise.all([
      deps.users.getAccount(record.userId),
      record.familyId === undefined
        ? true
        : deps.refreshTokens.familyActive(record.userId, record.familyId, Math.floor(Date.now() / 1000)),
    ]);
    if (!account) throw errors.invalidBearerToken('the user of this access token no longer exists');
    if (account.blocked) throw errors.invalidBearerToken('the user of this access token is blocked');
    if (!familyActive) throw errors.invalidBearerToken('the access token was revoked');
    const { profile } = account;
    const scopes = record.scope.split(' ').filter(Boolean);
    return jsonResponse(200, { sub: record.userId, ...claimsForScopes(profile, scopes) });
  } catch (error) {
    const oauth = toOAuthError(error);
    return errorResponse(oauth, bearerChallenge(oauth));
  }
});

const MISSING_CREDENTIALS = 'missing_bearer_token';

/** No bearer token at all: no Authorization header and no form token, or another scheme (Basic, ...). */
const missingCredentials = () => new OAuthError(401, 'invalid_token', 'missing bearer access token', MISSING_CREDENTIALS);

/**
 * RFC 6750 section 3: a refusal names the scheme, and the error when a token was sent.
 * Section 3.1: a request without credentials (none, or an unsupported scheme) gets a bare
 * challenge, since the client may simply not have known that authentication was needed.
 */
const bearerChallenge = (oauth: OAuthError): Record<string, string> | undefined => {
  if (oauth.reason === MISSING_CREDENTIALS) return { 'WWW-Authenticate': 'Bearer' };
  if (oauth.error !== 'invalid_token' && oauth.error !== 'invalid_request') return undefined;
  return { 'WWW-Authenticate': `Bearer error="${oauth.error}", error_description="${quotable(oauth.description)}"` };
};

/** RFC 6750 section 3: error_description is printable ASCII without `"` and `\`. */
const quotable = (text: string): string => text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');

/**
 * RFC 6750: the token in the Authorization header (2.1) or, for POST, in a form body (2.2);
 * a request that uses both methods is refused (section 2).
 */
const accessTokenOf = (http: HttpRequest): string | undefined => {
  const fromHeader = http.headers.authorization !== undefined ? bearerToken(http.headers.authorization) : undefined;
  const isForm = http.headers['content-type']?.toLowerCase().startsWith('application/x-www-form-urlencoded');
  const fromBody = http.method === 'POST' && isForm && http.body ? new URLSearchParams(http.body).get('access_token') ?? undefined : undefined;
  if (fromHeader && fromBody) throw errors.badRequest('send the access token in one place only', 'multiple_token_methods');
  const authorization = http.headers.authorization;
  if (authorization !== undefined && !fromHeader) {
    if (!/^Bearer(\s|$)/i.test(authorization)) {
      if (fromBody) return fromBody;
      throw missingCredentials();
    }
    throw errors.invalidBearerToken('malformed Authorization header');
  }
  return fromHeader ?? fromBody;
};

/** RFC 6750 section 2.1: `Authorization: Bearer <token>`, scheme case-insensitive. */
const bearerToken = (header: string | undefined): string | undefined => {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header ?? '');
  return match?.[1];
};
