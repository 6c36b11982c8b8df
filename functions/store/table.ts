import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/**
 * The table's shape (DESIGN section 5), for the local stack and tests. The CDK stack
 * declares the same shape for AWS (infra/stack.ts); the infra tests keep them in step.
 */
export const TABLE_KEY_SCHEMA = { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expires_at' } as const;

/** Creates the table if absent (idempotent) and enables TTL on `expires_at`. */
export const ensureTable = async (client: DynamoDBClient, tableName: string): Promise<'created' | 'existing'> => {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
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
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
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
