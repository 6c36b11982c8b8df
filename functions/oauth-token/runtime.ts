import type { RuntimeConfig } from '../config.js';
import { createKmsClient, KMS_DEADLINE_MS, type ServiceEndpoints } from '../clients.js';
import { recordProviderCall } from '../core/metrics.js';
import { createSubjectVerifier } from '../providers/subject-verifier.js';
import { createDocumentClient } from '../store/dynamo.js';
import { createSingleUseStore } from '../store/single-use.js';
import { createTenantStore } from '../store/tenant-store.js';
import { createKmsSecretOpener } from '../store/kms-secrets.js';
import { createTokenStore } from '../store/token-store.js';
import { createRefreshTokenStore } from '../store/refresh-tokens.js';
import { createUserStore } from '../store/user-store.js';
import { createKmsSigner } from '../tokens/kms-signer.js';
import type { TokenEndpointDependencies } from '../core/token-endpoint.js';
import { createAttemptLimiter } from '../store/attempt-limiter.js';
import { edgeDependencies } from '../http/edge-runtime.js';
import type { EdgeDependencies } from '../http/edge.js';

/** The composition root of `POST /oauth/token`: its collaborators, built once per container. */
export const createOAuthTokenDependencies = (
  config: RuntimeConfig,
  endpoints: ServiceEndpoints = {},
): TokenEndpointDependencies & { prefetchSigningKey(): void; edge: EdgeDependencies } => {
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
    refreshTokens: createRefreshTokenStore({ client, tableName: config.tableName }),
    singleUse: createSingleUseStore({ client, tableName: config.tableName }),
    subjects: createSubjectVerifier({
      timeoutMs: config.providerTimeoutMs,
      observe: recordProviderCall,
      jwksCooldownMs: config.jwksCooldownMs,
    }),
    signer,
    clock: { now: () => new Date() },
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    // One count per client and IP, shared with the legacy endpoint (DESIGN section 12).
    limiter: createAttemptLimiter({ client, tableName: config.tableName }),
    edge: edgeDependencies(config, client),
    // The kid's GetPublicKey starts early, overlapping the first request's verification;
    // setImmediate lets the request in hand go first (as in the token function).
    prefetchSigningKey: () => void setImmediate(() => void signer.kid().catch(() => undefined)),
  };
};
