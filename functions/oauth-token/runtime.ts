import type { RuntimeConfig } from '../config.js';
import { createKmsClient, KMS_DEADLINE_MS, type ServiceEndpoints } from '../clients.js';
import { recordProviderCall } from '../core/metrics.js';
import { createSubjectVerifier } from '../providers/subject-verifier.js';
import { createDocumentClient } from '../store/dynamo.js';
import { createSingleUseStore } from '../store/single-use.js';
import { createTenantStore } from '../store/tenant-store.js';
import { createTokenStore } from '../store/token-store.js';
import { createRefreshTokenStore } from '../store/refresh-tokens.js';
import { createUserStore } from '../store/user-store.js';
import { createKmsSigner } from '../tokens/kms-signer.js';
import type { TokenEndpointDependencies } from '../core/token-endpoint.js';

/** The composition root of `POST /oauth/token`: its collaborators, built once per container. */
export const createOAuthTokenDependencies = (
  config: RuntimeConfig,
  endpoints: ServiceEndpoints = {},
): TokenEndpointDependencies & { prefetchSigningKey(): void } => {
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
    singleUse: createSingleUseStore({ client, tableName: config.tableName }),
    subjects: createSubjectVerifier({ timeoutMs: config.providerTimeoutMs, observe: recordProviderCall }),
    signer,
    clock: { now: () => new Date() },
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    // The kid's GetPublicKey starts early, overlapping the first request's verification.
    prefetchSigningKey: () => void signer.kid().catch(() => undefined),
  };
};
