import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { costProviderCall, errors, tokenEndpointErrors } from '../errors.js';
import { attemptLimitsOf } from '../rate-limits.js';
import { TOKEN_EXCHANGE_GRANT } from '../grant-types.js';
import { issueTokens, type IssueDependencies } from '../issue-tokens.js';
import { parseScope } from '../scope.js';
import { auth0UserId } from '../profile.js';
import { optionalParameter, requiredParameter } from '../token-request.js';
import { ISSUED_TOKEN_TYPE, subjectTokenType, type SubjectTokenType } from './subject-token-types.js';
import type { ClientConfig, ConnectionConfig } from '../tenant.js';
import type { AttemptLimiter, Clock, SingleUseStore, SubjectVerifier, TenantDirectory, UserStore } from '../ports.js';
import type { ProfileClaims } from '../ports.js';
import type { Grant, GrantOutcome } from '../token-endpoint.js';

/**
 * RFC 8693 token exchange (DESIGN section 10): a provider token in (an ID token, an Apple
 * authorization code or a provider access token), our tokens out.
 *
 * Critical path of a warm ID-token exchange: no network call to verify (cached JWKS), then
 * ONE parallel step: the user writes, the single-use record, the signature and the
 * access-token record.
 */
export interface TokenExchangeDependencies extends IssueDependencies {
  tenants: TenantDirectory;
  users: UserStore;
  subjects: SubjectVerifier;
  singleUse: SingleUseStore;
  clock: Clock;
  /** DESIGN section 12 limits on requests that call a provider; shared with the legacy endpoint. */
  limiter?: AttemptLimiter;
}

export interface TokenExchangeRequest {
  client_id: string;
  subject_token: string;
  subject_token_type: string;
  connection?: string;
  scope?: string;
  nonce?: string;
  /** Parsed `user_profile` (Apple's first-login name). */
  user_profile?: ProfileClaims;
  access_token_secret?: string;
}

/** 1 KiB: Apple's name object is tiny; anything bigger is not a name. */
export const MAX_USER_PROFILE_BYTES = 1024;

// Order matters: with abortEarly the first failing entry decides the message.
const TokenExchangeSchema = v.object({
  client_id: requiredParameter('client_id', 256),
  subject_token: requiredParameter('subject_token', 12_288),
  subject_token_type: requiredParameter('subject_token_type', 256),
  connection: optionalParameter('connection', 128),
  scope: optionalParameter('scope', 1024),
  nonce: optionalParameter('nonce', 512),
  user_profile: optionalParameter('user_profile', 4096),
  access_token_secret: optionalParameter('access_token_secret', 1024),
  audience: optionalParameter('audience', 1024),
  resource: optionalParameter('resource', 1024),
});

const parse = (fields: Record<string, unknown>): TokenExchangeRequest => {
  const result = v.safeParse(TokenExchangeSchema, fields, { abortEarly: true });
  if (!result.success) throw errors.badRequest(result.issues[0]?.message ?? 'the request is invalid', 'invalid_parameter');
  const { audience, resource, user_profile, ...request } = result.output;
  if (!subjectTokenType(request.subject_token_type)) throw tokenEndpointErrors.unsupportedSubjectTokenType();
  // RFC 8693 section 2.2.2: we cannot issue a token for another audience or resource.
  if (audience !== undefined) throw tokenEndpointErrors.invalidTarget('audience');
  if (resource !== undefined) throw tokenEndpointErrors.invalidTarget('resource');
  const profile = user_profile === undefined ? undefined : parseUserProfile(user_profile);
  return {
    ...(Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined)) as Omit<
      TokenExchangeRequest,
      'user_profile'
    >),
    ...(profile ? { user_profile: profile } : {}),
  };
};

/**
 * Auth0's shape `{"name":{"firstName":"Ada","lastName":"Lovelace"}}` (what Apple's SDKs give
 * the app at the first authorization). Only names are taken: it never sets `email`.
 */
export const parseUserProfile = (text: string): ProfileClaims => {
  if (Buffer.byteLength(text, 'utf8') > MAX_USER_PROFILE_BYTES) throw tokenEndpointErrors.invalidUserProfile();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw tokenEndpointErrors.invalidUserProfile();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw tokenEndpointErrors.invalidUserProfile();
  const name = (value as { name?: unknown }).name;
  if (name === undefined) return {};
  if (typeof name !== 'object' || name === null || Array.isArray(name)) throw tokenEndpointErrors.invalidUserProfile();
  const part = (key: string): string | undefined => {
    const raw = (name as Record<string, unknown>)[key];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string') throw tokenEndpointErrors.invalidUserProfile();
    return raw.trim() || undefined;
  };
  const given = part('firstName');
  const family = part('lastName');
  const full = [given, family].filter(Boolean).join(' ');
  return {
    ...(given ? { given_name: given } : {}),
    ...(family ? { family_name: family } : {}),
    ...(full ? { name: full } : {}),
  };
};

/**
 * DESIGN section 10, connection selection: an explicit connection must be enabled and accept
 * the type; otherwise the strategy comes from the type or the ID token's (unverified) `iss`
 * and exactly one enabled connection of it must exist.
 */
const selectConnection = async (
  request: TokenExchangeRequest,
  type: SubjectTokenType,
  client: ClientConfig,
  deps: TokenExchangeDependencies,
): Promise<ConnectionConfig> => {
  if (request.connection !== undefined) {
    const [connection] = await deps.tenants.connections([request.connection]);
    if (!connection) throw errors.connectionNotFound();
    if (!client.connections.includes(connection.name)) throw errors.connectionDisabled();
    if (!type.strategies.includes(connection.strategy)) throw tokenEndpointErrors.subjectTokenTypeNotAccepted();
    return connection;
  }
  let strategy = type.impliedStrategy;
  if (strategy === undefined && type.kind === 'id_token') {
    strategy = deps.subjects.strategyOfIdToken(request.subject_token);
    if (strategy === undefined || !type.strategies.includes(strategy)) throw tokenEndpointErrors.invalidSubjectToken('unknown_issuer');
  }
  if (strategy === undefined) throw tokenEndpointErrors.connectionRequired();
  const candidates = (await deps.tenants.connections(client.connections)).filter((c) => c.strategy === strategy);
  if (candidates.length !== 1) throw tokenEndpointErrors.connectionRequired();
  return candidates[0] as ConnectionConfig;
};

const run = async (
  request: TokenExchangeRequest,
  client: ClientConfig,
  deps: TokenExchangeDependencies,
  context: { issuer: string; sourceIp?: string },
): Promise<GrantOutcome> => {
  const type = subjectTokenType(request.subject_token_type) as SubjectTokenType;
  const connection = await selectConnection(request, type, client, deps);

  const verify = () =>
    deps.subjects.verify(connection, {
      kind: type.kind,
      token: request.subject_token,
      ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
      ...(request.access_token_secret !== undefined ? { accessTokenSecret: request.access_token_secret } : {}),
    });
  // ID tokens are verified locally (a cached JWKS) and are not counted; access tokens and
  // Apple codes cost provider calls made with our app credentials (DESIGN section 12).
  const verified =
    deps.limiter && type.kind !== 'id_token'
      ? await deps.limiter.guard({ clientId: client.client_id, sourceIp: context.sourceIp }, attemptLimitsOf(client), verify, costProviderCall)
      : await verify();
  const { profile } = verified;

  const scopes = parseScope(request.scope);
  const now = deps.clock.now();
  // Apple gives the name only to the app, at the first authorization (DESIGN section 10).
  const initialClaims = connection.strategy === 'apple' ? request.user_profile : undefined;
  const ownUserId = auth0UserId(profile.provider, profile.provider_user_id);

  const replay = verified.singleUse
    ? deps.singleUse.claim(verified.singleUse.key, verified.singleUse.expiresAt).then((first) => {
        if (!first) throw tokenEndpointErrors.invalidSubjectToken('replay');
      })
    : undefined;
  const login = deps.users.recordLogin({
    profile,
    connection: connection.name,
    loginId: randomUUID(),
    now,
    ...(initialClaims && Object.keys(initialClaims).length > 0 ? { initialClaims } : {}),
    ...(verified.providerRefreshToken !== undefined ? { providerRefreshToken: verified.providerRefreshToken } : {}),
  });
  const issued = await issueTokens(
    {
      issuer: context.issuer,
      client,
      scopes,
      now,
      expected: { userId: ownUserId, profile: { ...initialClaims, ...profile.claims, updated_at: now.toISOString() } },
      login,
      ...(request.nonce !== undefined ? { extraClaims: { nonce: request.nonce } } : {}),
      ...(replay ? { alongside: [replay] } : {}),
    },
    deps,
  );

  return {
    result: {
      access_token: issued.accessToken,
      issued_token_type: ISSUED_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: scopes.join(' '),
      ...(issued.idToken !== undefined ? { id_token: issued.idToken } : {}),
      ...(issued.refreshToken !== undefined ? { refresh_token: issued.refreshToken } : {}),
    },
    userId: issued.userId,
    strategy: connection.strategy,
    connection: connection.name,
  };
};

export const tokenExchangeGrant: Grant<TokenExchangeRequest> = { grantType: TOKEN_EXCHANGE_GRANT, parse, run };
