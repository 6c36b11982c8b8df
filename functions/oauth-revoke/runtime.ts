import type { RuntimeConfig } from '../config.js';
import type { ServiceEndpoints } from '../clients.js';
import { createDocumentClient } from '../store/dynamo.js';
import { createRefreshTokenStore } from '../store/refresh-tokens.js';
import { createTenantStore } from '../store/tenant-store.js';
import type { RevokeDependencies } from '../core/revoke.js';
import { edgeDependencies } from '../http/edge-runtime.js';
import type { EdgeDependencies } from '../http/edge.js';

/** The revoke function's collaborators: DynamoDB only (no KMS, no providers). */
export const createRevokeDependencies = (config: RuntimeConfig, endpoints: ServiceEndpoints = {}): RevokeDependencies & { edge: EdgeDependencies } => {
  const client = createDocumentClient({
    requestTimeoutMs: config.dynamoTimeoutMs,
    ...(endpoints.dynamoEndpoint ? { endpoint: endpoints.dynamoEndpoint } : {}),
  });
  return {
    tenants: createTenantStore({ client, tableName: config.tableName, ttlMs: config.configCacheTtlMs }),
    refreshTokens: createRefreshTokenStore({ client, tableName: config.tableName }),
    clock: { now: () => new Date() },
    edge: edgeDependencies(config, client),
  };
};
