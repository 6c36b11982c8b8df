import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { errors, tokenEndpointErrors } from '../errors.js';
import { REFRESH_TOKEN_GRANT } from '../grant-types.js';
import { hashAccessToken, idTokenClaims, newAccessToken } from '../issue-tokens.js';
import { parseScope, wantsIdToken } from '../scope.js';
import { refreshTokenPolicy } from '../refresh-policy.js';
import type { ClientConfig } from '../tenant.js';
import { optionalParameter, requiredParameter } from '../token-request.js';
import type { Clock, IdTokenSigner, RefreshTokenRecord, RefreshTokenStore, TokenStore, UserProfile } from '../ports.js';
import type { Grant, GrantOutcome } from '../token-endpoint.js';

/**
 * `grant_type=refresh_token` (RFC 6749 section 6, DESIGN section 11): a refresh token in,
 * a new access token, id_token (with `openid`) and refresh token out. No provider call: the
 * user, its profile, block and link state come from DynamoDB.
 *
 * Critical path, two round trips:
 * 1. mark the presented token used (one conditional UpdateItem: the rotation);
 * 2. in parallel: the child token's transaction (which checks family, user and identity),
 *    the profile read, the KMS signature and the access-token record.
 * The id_token is signed optimistically with the profile the previous refresh saw; only when
 * the user's profile changed since then (a login updated it) is it signed again, a third step.
 */
export interface RefreshTokenDependencies {
  refreshTokens: RefreshTokenStore;
  tokens: TokenStore;
  signer: IdTokenSigner;
  clock: Clock;
  accessTokenTtlSeconds: number;
}

export interface RefreshTokenRequest {
  client_id: string;
  refresh_token: string;
  scope?: string;
}

const RefreshTokenSchema = v.object({
  client_id: requiredParameter('client_id', 256),
  refresh_token: requiredParameter('refresh_token', 512),
  scope: optionalParameter('scope', 1024),
});

const parse = (fields: Record<string, unknown>): RefreshTokenRequest => {
  const result = v.safeParse(RefreshTokenSchema, fields, { abortEarly: true });
  if (!result.success) throw errors.badRequest(result.issues[0]?.message ?? 'the request is invalid', 'invalid_parameter');
  const { scope, ...required } = result.output;
  return { ...required, ...(scope !== undefined ? { scope } : {}) };
};

/** RFC 6749 section 6: the new tokens may have a narrower scope than the family, never a wider one. */
export const narrowScope = (requested: string | undefined, granted: readonly string[]): string[] => {
  if (requested === undefined || requested.trim() === '') return [...granted];
  const scopes = parseScope(requested);
  const extra = scopes.find((scope) => !granted.includes(scope));
  if (extra !== undefined) {
    throw tokenEndpointErrors.invalidScope(`the scope ${JSON.stringify(extra.slice(0, 64))} was not granted to this refresh token`);
  }
  return scopes;
};

/** Step one: the rotation, and every refusal that needs nothing but the token's own record. */
const useToken = async (
  request: RefreshTokenRequest,
  client: ClientConfig,
  deps: RefreshTokenDependencies,
  now: number,
  rotationId: string,
): Promise<{ record: RefreshTokenRecord; rotated: boolean }> => {
  const tokenHash = hashAccessToken(request.refresh_token);
  const use = await deps.refreshTokens.use({ tokenHash, clientId: client.client_id, now, rotationId });
  if (!use) throw tokenEndpointErrors.invalidRefreshToken('unknown_refresh_token');
  const { record } = use;
  if (record.clientId !== client.client_id) throw tokenEndpointErrors.invalidRefreshToken('refresh_token_of_another_client');
  if (record.idleExpiresAt <= now || record.familyExpiresAt <= now) throw tokenEndpointErrors.invalidRefreshToken('refresh_token_expired');
  if (use.rotated) return use;
  // Used before: within the client's leeway it is answered like a first use (a retry after a
  // lost response); after it, the token was stolen or replayed and its whole family ends.
  const { leeway } = refreshTokenPolicy(client);
  if (leeway > 0 && record.usedAt !== undefined && now - record.usedAt <= leeway) return use;
  await deps.refreshTokens.revokeFamily({ userId: record.userId, familyId: record.familyId, now, reuseOf: tokenHash });
  throw tokenEndpointErrors.invalidRefreshToken('refresh_token_reuse');
};

const run = async (
  request: RefreshTokenRequest,
  client: ClientConfig,
  deps: RefreshTokenDependencies,
  context: { issuer: string },
): Promise<GrantOutcome> => {
  const nowDate = deps.clock.now();
  const now = Math.floor(nowDate.getTime() / 1000);
  const policy = refreshTokenPolicy(client);
  const rotationId = randomUUID();
  const { record: parent, rotated } = await useToken(request, client, deps, now, rotationId);
  let scopes: string[];
  try {
    scopes = narrowScope(request.scope, parseScope(parent.scope));
  } catch (error) {
    // The family's scope is only known once the token is read, which is its rotation: a
    // request asking for more is refused and the token given back, still the family's newest.
    if (rotated) await deps.refreshTokens.release({ tokenHash: parent.tokenHash, rotationId });
    throw error;
  }

  const accessToken = newAccessToken();
  const refreshToken = newAccessToken();
  const childHash = hashAccessToken(refreshToken);
  const sign = (profile: UserProfile) =>
    wantsIdToken(scopes)
      ? deps.signer.sign(
          idTokenClaims({
            issuer: context.issuer,
            userId: parent.userId,
            clientId: client.client_id,
            now: nowDate,
            lifetime: client.id_token_lifetime,
            profile,
            scopes,
          }),
        )
      : Promise.resolve(undefined);

  const [rotation, optimisticIdToken] = await Promise.all([
    deps.refreshTokens.rotate({
      parent,
      tokenHash: childHash,
      idleExpiresAt: Math.min(now + policy.idleLifetime, parent.familyExpiresAt),
      profile: parent.profile,
      now,
    }),
    sign(parent.profile),
    deps.tokens.save({
      tokenHash: hashAccessToken(accessToken),
      userId: parent.userId,
      clientId: client.client_id,
      scope: scopes.join(' '),
      expiresAt: now + deps.accessTokenTtlSeconds,
      familyId: parent.familyId,
    }),
  ]);
  // The access-token record written beside a refusal is unusable: its token never leaves here.
  if (rotation.outcome === 'user_blocked') {
    // Block is a state checked at each use: after unblock this token must work again.
    if (rotated) await deps.refreshTokens.release({ tokenHash: parent.tokenHash, rotationId });
    throw tokenEndpointErrors.userBlocked();
  }
  if (rotation.outcome === 'family_ended') throw tokenEndpointErrors.invalidRefreshToken('refresh_family_ended');
  if (rotation.outcome !== 'rotated') throw tokenEndpointErrors.invalidRefreshToken('refresh_user_gone');

  let idToken = optimisticIdToken;
  if (rotation.profile.updated_at === undefined || rotation.profile.updated_at !== parent.profile.updated_at) {
    [idToken] = await Promise.all([sign(rotation.profile), deps.refreshTokens.updateProfile(childHash, rotation.profile)]);
  }

  return {
    result: {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: deps.accessTokenTtlSeconds,
      scope: scopes.join(' '),
      ...(idToken !== undefined ? { id_token: idToken } : {}),
      refresh_token: refreshToken,
    },
    userId: parent.userId,
  };
};

export const refreshTokenGrant: Grant<RefreshTokenRequest> = { grantType: REFRESH_TOKEN_GRANT, parse, run };
