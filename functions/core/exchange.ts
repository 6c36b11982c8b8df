import { randomUUID } from 'node:crypto';
import { errors } from './errors.js';
import { parseScope } from './scope.js';
import { issueTokens } from './issue-tokens.js';
import { hasLegacyGrant } from './tenant.js';
import { auth0UserId } from '../store/keys.js';
import { providers } from '../providers/registry.js';
import { constantTimeEqual } from './constant-time.js';
import type { TokenRequest } from './token-request.js';
import type {
  Clock,
  IdTokenSigner,
  LoginRecord,
  ProviderVerifier,
  RefreshTokenStore,
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
  /** Refresh-token families (DESIGN section 11); without it no refresh token is issued. */
  refreshTokens?: RefreshTokenStore;
}

export interface ExchangeContext {
  /** Issuer URL with trailing slash (the id_token's `iss`). */
  issuer: string;
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
  context: ExchangeContext,
): Promise<ExchangeOutcome> => {
  const { client, connection } = await deps.tenants.lookup(request.client_id, request.connection);
  if (!client) throw errors.invalidClient();
  if (!hasLegacyGrant(client)) throw errors.grantNotAllowed();
  if (!connection) throw errors.connectionNotFound();
  if (!client.connections.includes(connection.name)) throw errors.connectionDisabled();

  const adapter = providers[connection.strategy];
  if (adapter.requiresTokenSecret && !request.access_token_secret) throw errors.missingParameter('access_token_secret');

  const profile = await deps.verifier.verify(connection, {
    accessToken: request.access_token,
    ...(request.access_token_secret ? { accessTokenSecret: request.access_token_secret } : {}),
    ...(request.user_id ? { userId: request.user_id } : {}),
  });
  if (request.user_id !== undefined && !constantTimeEqual(request.user_id, profile.provider_user_id)) {
    throw errors.invalidProviderToken('user_id_mismatch');
  }

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
