import type { RuntimeConfig } from '../config.js';
import { createKmsClient, KMS_DEADLINE_MS, type ServiceEndpoints } from '../clients.js';
import { recordProviderCall } from '../core/metrics.js';
import { createProviderVerifier } from '../providers/verifier.js';
import { createDocumentClient } from '../store/dynamo.js';
import { createTenantStore } from '../store/tenant-store.js';
import { createKmsSecretOpener } from '../store/kms-secrets.js';
import { createTokenStore } from '../store/token-store.js';
import { createRefreshFamilyStarter } from '../store/refresh-families.js';
import { createUserStore } from '../store/user-store.js';
import { createKmsSigner } from '../tokens/kms-signer.js';
import { createAttemptLimiter } from '../store/attempt-limiter.js';
import type { ExchangeDependencies } from '../core/exchange.js';
import { edgeDependencies } from '../http/edge-runtime.js';
import type { EdgeDependencies } from '../http/edge.js';

/** The token function's collaborators, built once per container. */
export const createExchangeDependencies = (
  config: RuntimeConfig,
  endpoints: ServiceEndpoints = {},
): ExchangeDependencies & { prefetchSigningKey(): void; edge: EdgeDependencies } => {
  const client = createDocumentClient({
    requestTimeoutMs: config.dynamoTimeoutMs,
    ...(endpoints.dynamoEndpoint ? { endpoint: endpoints.dynamoEndpoint } : {}),
  });
  const kms = createKmsClient(endpoints.kmsEndpoint);
  const signer = createKmsSigner({
    kms,
    keyId: config.signingKeyId,
    alg: config.signingAlg,
    timeoutMs: KMS_DEADLINE_MS,
  });
  return {
    tenants: createTenantStore({
      client,
      tableName: config.tableName,
      ttlMs: config.configCacheTtlMs,
      secrets: createKmsSecretOpener({ kms, timeoutMs: KMS_DEADLINE_MS, ...(config.secretsKeyId ? { keyId: config.secretsKeyId } : {}) }),
    }),
    users: createUserStore({ client, tableName: config.tableName }),
    tokens: createTokenStore({ client, tableName: config.tableName }),
    refreshTokens: createRefreshFamilyStarter({ client, tableName: config.tableName }),
    verifier: createProviderVerifier({ timeoutMs: config.providerTimeoutMs, observe: recordProviderCall }),
    signer,
    clock: { now: () => new Date() },
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    limiter: createAttemptLimiter({ client, tableName: config.tableName }),
    // The token endpoints' CORS and origin-verify settings, sharing this container's DynamoDB client.
    edge: edgeDependencies(config, client),
    // One GetPublicKey for the kid, started early so it overlaps the first request's
    // config read and provider call; afterwards each signature is exactly one KMS Sign.
    // setImmediate lets the request in hand go first as far as it can without waiting (its
    // config read is sent, a bad request is already answered): the key is needed only
    // after the provider step, and the SDK's first-call work then runs while I/O is pending.
    prefetchSigningKey: () => void setImmediate(() => void signer.kid().catch(() => undefined)),
  };
};
