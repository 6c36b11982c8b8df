import type { ClientConfig, ConnectionConfig } from './tenant.js';
import type { NormalizedProfile, ProfileClaims, ProviderRequest } from './profile.js';

export type { NormalizedProfile, ProfileClaims, ProviderRequest };

/**
 * The exchange's collaborators. The core depends on these shapes only; the DynamoDB,
 * KMS and provider implementations live in store/, tokens/ and providers/.
 */
export interface TenantLookup {
  client?: ClientConfig;
  connection?: ConnectionConfig;
}

export interface TenantStore {
  lookup(clientId: string, connectionName: string): Promise<TenantLookup>;
}

/** The user profile as stored: provider claims plus when it last changed. */
export interface UserProfile extends ProfileClaims {
  updated_at?: string;
}

export interface LoginRecord {
  /** The `sub`: the identity's own Auth0-style id, or its primary user's when linked. */
  userId: string;
  linked: boolean;
  profile: UserProfile;
}

export interface LoginInput {
  profile: NormalizedProfile;
  connection: string;
  /** Unique per exchange; makes the login's writes idempotent under SDK retries. */
  loginId: string;
  now: Date;
  /**
   * Claims that fill the profile only where it has none yet (Apple's first-login name from
   * `user_profile`, DESIGN section 10); the provider's own claims win.
   */
  initialClaims?: ProfileClaims;
  /** A provider refresh token to keep with the identity (Apple), for revocation on delete. */
  providerRefreshToken?: string;
}

export interface UserStore {
  recordLogin(input: LoginInput): Promise<LoginRecord>;
  getProfile(userId: string): Promise<UserProfile | undefined>;
}

export interface AccessTokenRecord {
  tokenHash: string;
  userId: string;
  clientId: string;
  scope: string;
  /** Epoch seconds (DynamoDB TTL attribute). */
  expiresAt: number;
}

export interface TokenStore {
  save(record: AccessTokenRecord): Promise<void>;
  find(tokenHash: string): Promise<AccessTokenRecord | undefined>;
}

export interface ProviderVerifier {
  verify(connection: ConnectionConfig, request: ProviderRequest): Promise<NormalizedProfile>;
}

export interface IdTokenSigner {
  sign(payload: Record<string, unknown>): Promise<string>;
}

export interface Clock {
  now(): Date;
}

/**
 * What `POST /oauth/token` needs from the tenant configuration: the client alone (its
 * grants are checked before any connection is considered) and then the connections it
 * names. Both are cached per container like `lookup`.
 */
export interface TenantDirectory extends TenantStore {
  client(clientId: string): Promise<ClientConfig | undefined>;
  connections(names: readonly string[]): Promise<ConnectionConfig[]>;
}

/** How a subject token is verified (DESIGN section 10's table of subject_token_types). */
export type SubjectKind = 'id_token' | 'authorization_code' | 'access_token';

export interface SubjectToken {
  kind: SubjectKind;
  token: string;
  /** The raw nonce the request carried; the ID token holds its SHA-256 (hex). */
  nonce?: string;
  /** Twitter's OAuth 1.0a token secret (access_token kind). */
  accessTokenSecret?: string;
}

export interface VerifiedSubject {
  profile: NormalizedProfile;
  /** For an ID token: the key that makes it single use, and when the record may go (epoch s). */
  singleUse?: { key: string; expiresAt: number };
  /** Apple's refresh token from a code exchange: kept with the identity, never returned. */
  providerRefreshToken?: string;
}

/**
 * The providers as `POST /oauth/token` sees them. Strategy facts (which issuer belongs to
 * which strategy, which strategy needs a token secret) come through here, so the core
 * imports no provider code.
 */
export interface SubjectVerifier {
  /** The strategy whose pinned issuer is the token's unverified `iss`; undefined if none. */
  strategyOfIdToken(token: string): string | undefined;
  /**
   * Proves the token is valid and was issued to the connection's app; throws
   * `tokenEndpointErrors.invalidSubjectToken` for a refused token and `errors.unavailable`
   * when the provider or its JWKS cannot be reached.
   */
  verify(connection: ConnectionConfig, subject: SubjectToken): Promise<VerifiedSubject>;
}

/** Records that a subject token was used; false when it already was (a replay). */
export interface SingleUseStore {
  claim(key: string, expiresAt: number): Promise<boolean>;
}

/** The browser origins of the tenant's clients (DESIGN section 12, `allowed_origins`). */
export interface OriginDirectory {
  /** The client's allowed origins; empty for an unknown client. */
  ofClient(clientId: string): Promise<readonly string[]>;
  /** Whether some client allows the origin: all a preflight, which names no client, can check. */
  anyClientAllows(origin: string): Promise<boolean>;
}

/** Who a provider-calling request counts against. */
export interface AttemptSubject {
  clientId: string;
  /** The caller's IP (the viewer's behind CloudFront); undefined when unknown, then only the per-client cap applies. */
  sourceIp: string | undefined;
}

/** The client's `rate_limits` with defaults applied; 0 disables a limit. */
export interface AttemptLimits {
  perIpFailuresPerMinute: number;
  perClientPerSecond: number;
}

/**
 * DESIGN section 12 limits on requests that make provider calls, shared by every grant that
 * verifies a provider token. `guard` answers a 429 OAuthError (with `retryAfterSeconds`) before
 * running `attempt` when the subject is over a limit, and counts `attempt`'s failures. A
 * failure `countsAsFailure` rejects (one that made no provider call) is not counted.
 */
export interface AttemptLimiter {
  guard<T>(
    subject: AttemptSubject,
    limits: AttemptLimits,
    attempt: () => Promise<T>,
    countsAsFailure?: (error: unknown) => boolean,
  ): Promise<T>;
}
