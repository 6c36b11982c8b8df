import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { startKmsEndpoint } from '../../infra/local/kms/server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    kmsEndpoint: string;
  }
}

/** One DynamoDB Local and one KMS endpoint for all integration test files. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamo, kms] = await Promise.all([startDynamoDbLocal(), startKmsEndpoint()]);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('kmsEndpoint', kms.url);
  return async () => {
    await Promise.all([dynamo.stop(), kms.close()]);
  };
}
