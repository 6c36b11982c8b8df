import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { tokenEndpointErrors } from './errors.js';
import { REFRESH_TOKEN_GRANT } from './grant-types.js';
import { claimsForScopes, wantsIdToken } from './scope.js';
import { refreshTokenPolicy } from './refresh-policy.js';
import type { ClientConfig } from './tenant.js';
import type { IdTokenSigner, LoginRecord, RefreshTokenStore, TokenStore, UserProfile } from './ports.js';

/** 32 random bytes, base64url: the opaque access token. Only its SHA-256 is stored. */
export const newAccessToken = (): string => randomBytes(32).toString('base64url');
export const hashAccessToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

export interface IssueDependencies {
  tokens: TokenStore;
  signer: IdTokenSigner;
  accessTokenTtlSeconds: number;
  /** Where refresh-token families start (DESIGN section 11); without it none is issued. */
  refreshTokens?: Pick<RefreshTokenStore, 'startFamily'>;
}

/** RFC 6749 section 6 / OIDC Core 11: a refresh token only for `offline_access` and a client with the grant. */
export const OFFLINE_ACCESS = 'offline_access';
export const wantsRefreshToken = (client: ClientConfig, scopes: readonly string[]): boolean =>
  scopes.includes(OFFLINE_ACCESS) && client.grant_types.includes(REFRESH_TOKEN_GRANT);

export interface IssueRequest {
  /** Issuer URL with trailing slash (the id_token's `iss`). */
  issuer: string;
  client: ClientConfig;
  scopes: readonly string[];
  now: Date;
  /** Who the tokens are for if `login` confirms it: the identity's own user id and profile. */
  expected: { userId: string; profile: UserProfile };
  /**
   * The user writes of this login, already started by the caller; it reports the user the
   * identity really belongs to (its primary, when linked). Omitted when the user is known.
   */
  login?: Promise<LoginRecord>;
  /** More id_token claims, e.g. the `nonce` of a token exchange. */
  extraClaims?: Record<string, unknown>;
  /** Other writes of the same parallel step (e.g. a single-use record); all must succeed. */
  alongside?: ReadonlyArray<Promise<unknown>>;
}

export interface IssuedTokens {
  accessToken: string;
  idToken?: string;
  /** The first token of a new family, when the scope asked for offline_access. */
  refreshToken?: string;
  expiresIn: number;
  /** The `sub` the tokens were issued for. */
  userId: string;
  profile: UserProfile;
}

/**
 * The one place our tokens are made, for every grant (DESIGN sections 1 and 10): the
 * access-token record and the id_token are produced in ONE parallel step together with the
 * caller's writes. They optimistically use the identity's own user id; if the login reports
 * a link to a primary user, both are redone for the primary. Nothing is returned until every
 * write has succeeded.
 */
export const issueTokens = async (request: IssueRequest, deps: IssueDependencies): Promise<IssuedTokens> => {
  const accessToken = newAccessToken();
  const tokenHash = hashAccessToken(accessToken);
  const expiresAt = Math.floor(request.now.getTime() / 1000) + deps.accessTokenTtlSeconds;

  const idTokenFor = (userId: string, profile: UserProfile) =>
    wantsIdToken(request.scopes)
      ? deps.signer.sign({
          ...idTokenClaims({
            issuer: request.issuer,
            userId,
            clientId: request.client.client_id,
            now: request.now,
            lifetime: request.client.id_token_lifetime,
            profile,
            scopes: request.scopes,
          }),
          ...request.extraClaims,
        })
      : Promise.resolve(undefined);
  const family = deps.refreshTokens && wantsRefreshToken(request.client, request.scopes) ? newFamily(request, deps.refreshTokens) : undefined;
  const saveToken = (userId: string) =>
    deps.tokens.save({
      tokenHash,
      userId,
      clientId: request.client.client_id,
      scope: request.scopes.join(' '),
      expiresAt,
      ...(family ? { familyId: family.familyId } : {}),
    });

  const { expected } = request;
  const [login, optimisticIdToken] = await Promise.all([
    request.login ?? Promise.resolve<LoginRecord>({ userId: expected.userId, linked: false, profile: expected.profile }),
    idTokenFor(expected.userId, expected.profile),
    saveToken(expected.userId),
    family?.start(expected.userId, expected.profile),
    ...(request.alongside ?? []),
  ]);
  // DESIGN section 11: what was written for a blocked user is never handed out.
  if (login.blocked) throw tokenEndpointErrors.userBlocked();

  let idToken = optimisticIdToken;
  if (login.userId !== expected.userId) {
    // The token item of the same hash is overwritten for the primary; the family started
    // under the identity's own (tombstoned) user is never reachable from it.
    [idToken] = await Promise.all([
      idTokenFor(login.userId, login.profile),
      saveToken(login.userId),
      family?.start(login.userId, login.profile),
    ]);
  } else if (idToken !== undefined && visibleClaims(login.profile, request.scopes) !== visibleClaims(expected.profile, request.scopes)) {
    // The stored profile knows more than this login said (Apple's first-login name): the
    // id_token tells what the user's profile is, so it is signed again from the store's.
    idToken = await idTokenFor(login.userId, login.profile);
  }
  return {
    accessToken,
    ...(idToken !== undefined ? { idToken } : {}),
    ...(family ? { refreshToken: family.token } : {}),
    expiresIn: deps.accessTokenTtlSeconds,
    userId: login.userId,
    profile: login.profile,
  };
};

const visibleClaims = (profile: UserProfile, scopes: readonly string[]): string =>
  JSON.stringify(Object.entries(claimsForScopes(profile, scopes)).sort(([a], [b]) => (a < b ? -1 : 1)));

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

/**
 * A family begins at a login (DESIGN section 11): its absolute lifetime counts from now, and
 * it remembers the identity that logged in, so unlinking that identity ends it.
 */
const newFamily = (request: IssueRequest, store: Pick<RefreshTokenStore, 'startFamily'>) => {
  const token = newAccessToken();
  const familyId = randomUUID();
  const policy = refreshTokenPolicy(request.client);
  const createdAt = Math.floor(request.now.getTime() / 1000);
  const familyExpiresAt = createdAt + policy.absoluteLifetime;
  return {
    token,
    familyId,
    start: (userId: string, profile: UserProfile) =>
      store.startFamily({
        familyId,
        userId,
        clientId: request.client.client_id,
        scope: request.scopes.join(' '),
        identity: request.expected.userId,
        createdAt,
        familyExpiresAt,
        tokenHash: hashAccessToken(token),
        idleExpiresAt: Math.min(createdAt + policy.idleLifetime, familyExpiresAt),
        profile,
      }),
  };
};
