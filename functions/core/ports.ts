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
