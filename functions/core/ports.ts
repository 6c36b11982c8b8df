import type { ClientConfig, ConnectionConfig } from './tenant.js';
import type { NormalizedProfile, ProfileClaims, ProviderRequest } from '../providers/types.js';

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
