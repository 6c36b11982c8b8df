import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { BY_USER_INDEX } from './keys.js';

/**
 * The table's shape (DESIGN section 5), for the local stack and tests. The CDK stack
 * declares the same shape for AWS (infra/stack.ts); the infra tests keep them in step.
 */
export const TABLE_KEY_SCHEMA = { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expires_at' } as const;

const BY_USER: GlobalSecondaryIndex = {
  IndexName: BY_USER_INDEX.name,
  KeySchema: [
    { AttributeName: BY_USER_INDEX.partitionKey, KeyType: 'HASH' },
    { AttributeName: BY_USER_INDEX.sortKey, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'KEYS_ONLY' },
};

/**
 * Creates the table if absent (idempotent) and enables TTL on `expires_at`. A table kept
 * from an older version (`npm start` with persisted data) gains the `by_user` index.
 */
export const ensureTable = async (client: DynamoDBClient, tableName: string): Promise<'created' | 'existing'> => {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!(Table?.GlobalSecondaryIndexes ?? []).some((index) => index.IndexName === BY_USER_INDEX.name)) {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: BY_USER_INDEX.partitionKey, AttributeType: 'S' },
          ],
          GlobalSecondaryIndexUpdates: [{ Create: BY_USER }],
        }),
      );
    }
    return 'existing';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: BY_USER_INDEX.partitionKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [BY_USER],
      }),
    );
  } catch (error) {
    // Two starters racing to create the same table: the loser just uses it.
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
    return 'existing';
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_KEY_SCHEMA.ttlAttribute, Enabled: true },
    }),
  );
  return 'created';
};
