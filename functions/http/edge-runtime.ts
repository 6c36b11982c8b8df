import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RuntimeConfig } from '../config.js';
import { createOriginDirectory } from '../store/client-origins.js';
import type { EdgeDependencies } from './edge.js';

/** The edge settings of a function that reads the table, sharing its DynamoDB client. */
export const edgeDependencies = (config: RuntimeConfig, client: DynamoDBDocumentClient): EdgeDependencies => ({
  origins: createOriginDirectory({ client, tableName: config.tableName, ttlMs: config.configCacheTtlMs }),
  ...(config.originVerifySecret ? { originVerifySecret: config.originVerifySecret } : {}),
});
