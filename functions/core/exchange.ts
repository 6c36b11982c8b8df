import { randomUUID } from 'node:crypto';
import { costProviderCall, errors } from './errors.js';
import { auth0UserId } from './profile.js';
import { parseScope } from './scope.js';
import { issueTokens } from './issue-tokens.js';
import { LEGACY_ACCESS_TOKEN_GRANT } from './errors.js';
import { STRATEGIES } from './strategies.js';
import { attemptLimitsOf } from './rate-limits.js';
import { constantTimeEqual } from './constant-time.js';
import type { TokenRequest } from './token-request.js';
import type {
  AttemptLimiter,
  Clock,
  IdTokenSigner,
  LoginRecord,
  ProviderVerifier,
  RefreshTokenStore,
  RequestContext,
  TenantStore,
  TokenStore,
  UserProfile,
  UserStore,
} from './ports.js';

export interface ExchangeDependencies {
  tenants: TenantStore;
  users: UserStore;
  tokens: TokenStore;
  verifier: ProviderVerifier;
  signer: IdTokenSigner;
  clock: Clock;
  accessTokenTtlSeconds: number;
  /** DESIGN section 12 limits around the provider verification; none when absent. */
  limiter?: AttemptLimiter;
  /** Refresh-token families (DESIGN section 11); without it no refresh token is issued. */
  refreshTokens?: Pick<RefreshTokenStore, 'startFamily'>;
}

/** RFC 6749 section 5.1 success body, as Auth0's legacy endpoint answers it. */
export interface ExchangeResult {
  access_token: string;
  id_token?: string;
  token_type: 'Bearer';
  expires_in: number;
  /** With `offline_access`, for a client that has the refresh_token grant (DESIGN section 11). */
  refresh_token?: string;
}

export interface ExchangeOutcome {
  result: ExchangeResult;
  userId: string;
  strategy: string;
}

export { hashAccessToken, idTokenClaims, newAccessToken } from './issue-tokens.js';

/**
 * The use case: provider token in, our tokens out (DESIGN section 1).
 *
 * Critical path for a user whose identity is not linked: the provider step, then ONE
 * parallel step where the user writes, the KMS signature and the access-token write
 * overlap (issueTokens, shared with POST /oauth/token).
 */
export const exchangeToken = async (
  request: TokenRequest,
  deps: ExchangeDependencies,
  context: RequestContext,
): Promise<ExchangeOutcome> => {
  const { client, connection } = await deps.tenants.lookup(request.client_id, request.connection);
  if (!client) throw errors.invalidClient();
  if (!client.grant_types.includes(LEGACY_ACCESS_TOKEN_GRANT)) throw errors.grantNotAllowed();
  if (!connection) throw errors.connectionNotFound();
  if (!client.connections.includes(connection.name)) throw errors.connectionDisabled();

  const facts = STRATEGIES[connection.strategy];
  // An Apple connection has no access tokens to verify: no token can be valid for it here.
  if (!facts.subjectKinds.includes('access_token')) throw errors.invalidProviderToken('no_access_token_for_strategy');
  if (facts.requiresTokenSecret && !request.access_token_secret) throw errors.missingParameter('access_token_secret');

  const verify = async () => {
    const verified = await deps.verifier.verify(connection, {
      accessToken: request.access_token,
      ...(request.access_token_secret ? { accessTokenSecret: request.access_token_secret } : {}),
      ...(request.user_id ? { userId: request.user_id } : {}),
    });
    if (request.user_id !== undefined && !constantTimeEqual(request.user_id, verified.provider_user_id)) {
      throw errors.invalidProviderToken('user_id_mismatch');
    }
    return verified;
  };
  const profile = deps.limiter
    ? await deps.limiter.guard({ clientId: client.client_id, sourceIp: context.sourceIp }, attemptLimitsOf(client), verify, costProviderCall)
    : await verify();

  const scopes = parseScope(request.scope);
  const now = deps.clock.now();
  const ownUserId = auth0UserId(profile.provider, profile.provider_user_id);
  const issued = await issueTokens(
    {
      issuer: context.issuer,
      client,
      scopes,
      now,
      expected: { userId: ownUserId, profile: { ...profile.claims, updated_at: now.toISOString() } },
      login: deps.users.recordLogin({ profile, connection: connection.name, loginId: randomUUID(), now }),
    },
    deps,
  );

  return {
    result: {
      access_token: issued.accessToken,
      ...(issued.idToken !== undefined ? { id_token: issued.idToken } : {}),
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      ...(issued.refreshToken !== undefined ? { refresh_token: issued.refreshToken } : {}),
    },
    userId: issued.userId,
    strategy: connection.strategy,
  };
};

export type { LoginRecord };
