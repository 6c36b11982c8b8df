import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RuntimeConfig } from './config.js';
import { KMS_DEADLINE_MS, kmsOnFirstUse, type ServiceEndpoints } from './clients.js';
import type { AttemptLimiter, Clock, IdTokenSigner, TenantDirectory, TokenStore, UserStore } from './core/ports.js';
import { createDocumentClient } from './store/dynamo.js';
import { createTenantStore } from './store/tenant-store.js';
import { createKmsSecretOpener } from './store/kms-secrets.js';
import { createTokenStore } from './store/token-store.js';
import { createUserStore } from './store/user-store.js';
import { createAttemptLimiter } from './store/attempt-limiter.js';
import { createKmsSigner } from './tokens/kms-signer.js';
import { edgeDependencies } from './http/edge-runtime.js';
import { preloadProviderHttp } from './providers/http.js';
import type { EdgeDependencies } from './http/edge.js';

/** What both token functions (legacy and `/oauth/token`) build the same way, once per container. */
export interface TokenIssuingRuntime {
  client: DynamoDBDocumentClient;
  tenants: TenantDirectory;
  users: UserStore;
  tokens: TokenStore;
  signer: IdTokenSigner;
  clock: Clock;
  accessTokenTtlSeconds: number;
  /** One count per client and IP, shared by both endpoints (DESIGN section 12). */
  limiter: AttemptLimiter;
  /** CORS and origin-verify settings, on this container's DynamoDB client. */
  edge: EdgeDependencies;
  /** Starts what the first real request needs after its config read (see below); returns at once. */
  prefetch(): void;
}

export const createTokenIssuingRuntime = (config: RuntimeConfig, endpoints: ServiceEndpoints = {}): TokenIssuingRuntime => {
  const client = createDocumentClient({
    requestTimeoutMs: config.dynamoTimeoutMs,
    ...(endpoints.dynamoEndpoint ? { endpoint: endpoints.dynamoEndpoint } : {}),
  });
  const kms = kmsOnFirstUse(endpoints.kmsEndpoint);
  const signer = createKmsSigner({ kms, keyId: config.signingKeyId, alg: config.signingAlg, timeoutMs: KMS_DEADLINE_MS });
  return {
    client,
    tenants: createTenantStore({
      client,
      tableName: config.tableName,
      ttlMs: config.configCacheTtlMs,
      // Connection secrets are sealed at rest (DESIGN section 13): opened once per container.
      secrets: createKmsSecretOpener({ kms, timeoutMs: KMS_DEADLINE_MS, ...(config.secretsKeyId ? { keyId: config.secretsKeyId } : {}) }),
    }),
    users: createUserStore({ client, tableName: config.tableName }),
    tokens: createTokenStore({ client, tableName: config.tableName }),
    signer,
    clock: { now: () => new Date() },
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    limiter: createAttemptLimiter({ client, tableName: config.tableName }),
    edge: edgeDependencies(config, client),
    // One GetPublicKey for the kid, started early so it overlaps the first request's
    // config read and provider call; afterwards each signature is exactly one KMS Sign.
    // The provider HTTP client (ky, and Node's fetch under it) loads at the same moment.
    // setImmediate lets the request in hand go first as far as it can without waiting (its
    // config read is sent, a bad request is already answered): the key and the client are
    // needed only at the provider step, and their first-use work then runs while I/O is pending.
    prefetch: () =>
      void setImmediate(() => {
        preloadProviderHttp();
        void signer.kid().catch(() => undefined);
      }),
  };
};
