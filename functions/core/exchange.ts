import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { costProviderCall, errors } from './errors.js';
import { claimsForScopes, parseScope, wantsIdToken } from './scope.js';
import { attemptLimitsOf, hasLegacyGrant } from './tenant.js';
import { auth0UserId } from '../store/keys.js';
import { providers } from '../providers/registry.js';
import { constantTimeEqual } from './constant-time.js';
import type { TokenRequest } from './token-request.js';
import type {
  AttemptLimiter,
  Clock,
  IdTokenSigner,
  LoginRecord,
  ProviderVerifier,
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
}

export interface ExchangeContext {
  /** Issuer URL with trailing slash (the id_token's `iss`). */
  issuer: string;
  /** The caller's IP, for the per-IP failure limit. */
  sourceIp?: string;
}

/** RFC 6749 section 5.1 success body, as Auth0's legacy endpoint answers it. */
export interface ExchangeResult {
  access_token: string;
  id_token?: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface ExchangeOutcome {
  result: ExchangeResult;
  userId: string;
  strategy: string;
}

/** 32 random bytes, base64url: the opaque access token. Only its SHA-256 is stored. */
export const newAccessToken = (): string => randomBytes(32).toString('base64url');
export const hashAccessToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * The use case: provider token in, our tokens out (DESIGN section 1).
 *
 * Critical path for a user whose identity is not linked: the provider step, then ONE
 * parallel step where the user writes, the KMS signature and the access-token write
 * overlap. The signature and token record optimistically use the identity's own user id;
 * if the store reports a link to a primary user, both are redone for the primary.
 * Nothing is returned until every write has succeeded.
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
  const accessToken = newAccessToken();
  const tokenHash = hashAccessToken(accessToken);
  const expiresAt = Math.floor(now.getTime() / 1000) + deps.accessTokenTtlSeconds;
  const ownUserId = auth0UserId(profile.provider, profile.provider_user_id);

  const idTokenFor = (userId: string, userProfile: UserProfile) =>
    wantsIdToken(scopes)
      ? deps.signer.sign(idTokenClaims({ issuer: context.issuer, userId, clientId: client.client_id, now, lifetime: client.id_token_lifetime, profile: userProfile, scopes }))
      : Promise.resolve(undefined);
  const saveToken = (userId: string) =>
    deps.tokens.save({ tokenHash, userId, clientId: client.client_id, scope: scopes.join(' '), expiresAt });

  const ownProfile: UserProfile = { ...profile.claims, updated_at: now.toISOString() };
  const [login, optimisticIdToken] = await Promise.all([
    deps.users.recordLogin({ profile, connection: connection.name, loginId: randomUUID(), now }),
    idTokenFor(ownUserId, ownProfile),
    saveToken(ownUserId),
  ]);

  let idToken = optimisticIdToken;
  if (login.userId !== ownUserId) [idToken] = await Promise.all([idTokenFor(login.userId, login.profile), saveToken(login.userId)]);

  return {
    result: {
      access_token: accessToken,
      ...(idToken !== undefined ? { id_token: idToken } : {}),
      token_type: 'Bearer',
      expires_in: deps.accessTokenTtlSeconds,
    },
    userId: login.userId,
    strategy: connection.strategy,
  };
};

export const idTokenClaims = (input: {
  issuer: string;
  userId: string;
  clientId: string;
  now: Date;
  lifetime: number;
  profile: UserProfile;
  scopes: readonly string[];
}): Record<string, unknown> => {
  const iat = Math.floor(input.now.getTime() / 1000);
  return {
    iss: input.issuer,
    sub: input.userId,
    aud: input.clientId,
    iat,
    exp: iat + input.lifetime,
    ...claimsForScopes(input.profile, input.scopes),
  };
};

export type { LoginRecord };
