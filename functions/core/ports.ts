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
  /** Blocked by an operator (DESIGN section 11): no tokens are handed out. */
  blocked?: boolean;
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
}

export interface AccessTokenRecord {
  tokenHash: string;
  userId: string;
  clientId: string;
  scope: string;
  /** Epoch seconds (DynamoDB TTL attribute). */
  expiresAt: number;
  /** The refresh-token family it was issued with: revoking the family ends it too. */
  familyId?: string;
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

/** What a token request brings to its use case besides its parameters. */
export interface RequestContext {
  /** Issuer URL with trailing slash (the id_token's `iss`). */
  issuer: string;
  /** The caller's IP (the viewer's behind CloudFront), for the per-IP limits of DESIGN section 12. */
  sourceIp?: string;
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

/** A user as /userinfo needs it: the profile and whether an operator blocked it. */
export interface UserAccount {
  profile: UserProfile;
  blocked: boolean;
}

export interface AccountReader {
  /** Undefined for a missing user or an identity linked to another user. */
  getAccount(userId: string): Promise<UserAccount | undefined>;
}

/**
 * Refresh tokens (DESIGN section 11). A family is what one login started: every token
 * rotated from it shares its id, scope and absolute expiry, and revoking the family ends
 * them all, with the access tokens issued alongside. Times are epoch seconds.
 */
export interface RefreshTokenRecord {
  tokenHash: string;
  familyId: string;
  /** The `sub` the family issues tokens for. */
  userId: string;
  clientId: string;
  /** The family's scope: a refresh may narrow the tokens it issues, never the family. */
  scope: string;
  /** Auth0 id of the identity whose login started the family (unlinking it ends the family). */
  identity: string;
  issuedAt: number;
  idleExpiresAt: number;
  familyExpiresAt: number;
  /** When the token was rotated; absent while it is the family's newest. */
  usedAt?: number;
  /** The profile the last id_token was signed with; the next refresh signs with it optimistically. */
  profile: UserProfile;
}

export interface NewFamily {
  familyId: string;
  userId: string;
  clientId: string;
  scope: string;
  identity: string;
  createdAt: number;
  familyExpiresAt: number;
  tokenHash: string;
  idleExpiresAt: number;
  profile: UserProfile;
}

/** What marking a token used found: `rotated` when THIS call did it. Undefined: no such token. */
export interface TokenUse {
  record: RefreshTokenRecord;
  rotated: boolean;
}

export type RotationResult =
  | { outcome: 'rotated'; profile: UserProfile }
  | { outcome: 'family_ended' | 'user_blocked' | 'user_gone' };

export interface RefreshTokenStore {
  /** The family item and its first token (one parallel step, at login). */
  startFamily(family: NewFamily): Promise<void>;
  /**
   * Step one of a refresh: atomically marks the token used if it is this client's, unexpired
   * and not used yet. `rotationId` makes an SDK retry of a landed write count as this call.
   */
  use(input: { tokenHash: string; clientId: string; now: number; rotationId: string }): Promise<TokenUse | undefined>;
  /**
   * Step two: writes the child token if the family is still live and its user may still use
   * it (exists, not blocked, the identity still linked as when the family began), and reads
   * the user's current profile in the same round trip.
   */
  rotate(input: { parent: RefreshTokenRecord; tokenHash: string; idleExpiresAt: number; profile: UserProfile; now: number }): Promise<RotationResult>;
  /** Undoes `use` of this rotation (a refused scope), if nothing else used the token since. */
  release(input: { tokenHash: string; rotationId: string }): Promise<void>;
  /** Keeps the profile an id_token was last signed with on the newest token. */
  updateProfile(tokenHash: string, profile: UserProfile): Promise<void>;
  /** Ends a family (idempotent). `reuseOf`: the hash of the reused token that ended it. */
  revokeFamily(input: { userId: string; familyId: string; now: number; reuseOf?: string }): Promise<void>;
  find(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** False once the family is revoked, deleted or past its absolute expiry. */
  familyActive(userId: string, familyId: string, now: number): Promise<boolean>;
}
