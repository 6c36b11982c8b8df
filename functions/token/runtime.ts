import type { RuntimeConfig } from '../config.js';
import { createKmsClient, KMS_DEADLINE_MS, type ServiceEndpoints } from '../clients.js';
import { recordProviderCall } from '../core/metrics.js';
import { createProviderVerifier } from '../providers/verifier.js';
import { createDocumentClient } from '../store/dynamo.js';
import { createTenantStore } from '../store/tenant-store.js';
import { createTokenStore } from '../store/token-store.js';
import { createRefreshTokenStore } from '../store/refresh-tokens.js';
import { createUserStore } from '../store/user-store.js';
import { createKmsSigner } from '../tokens/kms-signer.js';
import type { ExchangeDependencies } from '../core/exchange.js';

/** The token function's collaborators, built once per container. */
export const createExchangeDependencies = (config: RuntimeConfig, endpoints: ServiceEndpoints = {}): ExchangeDependencies & { prefetchSigningKey(): void } => {
  const client = createDocumentClient({
    requestTimeoutMs: config.dynamoTimeoutMs,
    ...(endpoints.dynamoEndpoint ? { endpoint: endpoints.dynamoEndpoint } : {}),
  });
  const signer = createKmsSigner({
    kms: createKmsClient(endpoints.kmsEndpoint),
    keyId: config.signingKeyId,
    alg: config.signingAlg,
    timeoutMs: KMS_DEADLINE_MS,
  });
  return {
    tenants: createTenantStore({ client, tableName: config.tableName, ttlMs: config.configCacheTtlMs }),
    users: createUserStore({ client, tableName: config.tableName }),
    tokens: createTokenStore({ client, tableName: config.tableName }),
    refreshTokens: createRefreshTokenStore({ client, tableName: config.tableName }),
    verifier: createProviderVerifier({ timeoutMs: config.providerTimeoutMs, observe: recordProviderCall }),
    signer,
    clock: { now: () => new Date() },
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    // One GetPublicKey for the kid, started early so it overlaps the first request's
    // provider call; afterwards each signature is exactly one KMS Sign.
    prefetchSigningKey: () => void signer.kid().catch(() => undefined),
  };
};
