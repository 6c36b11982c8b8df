import type { RuntimeConfig } from '../config.js';
import type { ServiceEndpoints } from '../clients.js';
import { createDocumentClient } from '../store/dynamo.js';
import { createTokenStore } from '../store/token-store.js';
import { createRefreshTokenStore } from '../store/refresh-tokens.js';
import { createUserStore } from '../store/user-store.js';
import { edgeDependencies } from '../http/edge-runtime.js';
import type { UserinfoDependencies } from './handle.js';

/** The userinfo function's collaborators: DynamoDB reads only, no KMS, no providers. */
export const createUserinfoDependencies = (config: RuntimeConfig, endpoints: ServiceEndpoints = {}): UserinfoDependencies => {
  const client = createDocumentClient({
    requestTimeoutMs: config.dynamoTimeoutMs,
    ...(endpoints.dynamoEndpoint ? { endpoint: endpoints.dynamoEndpoint } : {}),
  });
  return {
    tokens: createTokenStore({ client, tableName: config.tableName }),
    users: createUserStore({ client, tableName: config.tableName }),
    edge: edgeDependencies(config, client),
    refreshTokens: createRefreshTokenStore({ client, tableName: config.tableName }),
  };
};
