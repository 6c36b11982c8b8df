import { KMSClient } from '@aws-sdk/client-kms';
import { loadConfig, type RuntimeConfig } from './config.js';
import { createDocumentClient } from './store/dynamo.js';
import { createTenantStore } from './store/tenant-store.js';
import { createTokenStore } from './store/token-store.js';
import { createUserStore } from './store/user-store.js';
import { createProviderVerifier } from './providers/verifier.js';
import { recordProviderCall } from './core/metrics.js';
import { createKmsSigner } from './tokens/kms-signer.js';
import { createKeyRing } from './tokens/key-ring.js';
import type { ExchangeDependencies } from './core/exchange.js';
import type { TokenStore, UserStore } from './core/ports.js';

/**
 * The composition root: AWS clients and adapters are built once per container (a Lambda
 * execution environment, or the local stack's process) and reused by every invocation.
 */
export interface Runtime {
  config: RuntimeConfig;
  exchange: ExchangeDependencies;
  users: UserStore;
  tokens: TokenStore;
  keyRing: ReturnType<typeof createKeyRing>;
  /**
   * Starts fetching the signing key's kid (one GetPublicKey) so it overlaps the first
   * request's provider call; afterwards each signature is exactly one KMS Sign. Only the
   * token function calls it: the others may not use KMS at all.
   */
  prefetchSigningKey(): void;
}

/** Endpoint overrides for tests; on AWS and under `npm start` the SDK reads AWS_ENDPOINT_URL_*. */
export interface RuntimeEndpoints {
  dynamoEndpoint?: string;
  kmsEndpoint?: string;
}

const KMS_DEADLINE_MS = 3_000;

const createKmsClient = (endpoint: string | undefined) =>
  new KMSClient({
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
  });

export const createRuntime = (config: RuntimeConfig = loadConfig(), endpoints: RuntimeEndpoints = {}): Runtime => {
  const client = createDocumentClient(endpoints.dynamoEndpoint ? { endpoint: endpoints.dynamoEndpoint } : {});
  const kms = createKmsClient(endpoints.kmsEndpoint);
  const users = createUserStore({ client, tableName: config.tableName });
  const tokens = createTokenStore({ client, tableName: config.tableName });
  // Request budget (Lambda timeout 15 s): provider ≤ 5 s, config read (cold only) ≤ ~3.5 s,
  // then the write step, where KMS has its own 3 s deadline and DynamoDB ≤ ~3.5 s.
  const signer = createKmsSigner({ kms, keyId: config.signingKeyId, alg: config.signingAlg, timeoutMs: KMS_DEADLINE_MS });
  return {
    config,
    prefetchSigningKey: () => void signer.kid().catch(() => undefined),
    users,
    tokens,
    keyRing: createKeyRing({
      kms,
      active: { keyId: config.signingKeyId, alg: config.signingAlg },
      retired: config.retiredKeyIds,
      timeoutMs: KMS_DEADLINE_MS,
    }),
    exchange: {
      tenants: createTenantStore({ client, tableName: config.tableName, ttlMs: config.configCacheTtlMs }),
      users,
      tokens,
      verifier: createProviderVerifier({ timeoutMs: config.providerTimeoutMs, observe: recordProviderCall }),
      signer,
      clock: { now: () => new Date() },
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    },
  };
};

let shared: Runtime | undefined;

/** The per-container runtime, created on first use so a configuration error becomes a 500 response. */
export const containerRuntime = (): Runtime => (shared ??= createRuntime());

/** Local stack and tests: drop the cached runtime after changing the environment. */
export const resetContainerRuntime = (): void => {
  shared = undefined;
};
