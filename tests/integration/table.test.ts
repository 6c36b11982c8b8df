import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ensureTable } from '../../functions/store/table.js';

// The local table gets the `by_user` index that infra/stack.ts declares, and so does a table
// kept from a version without it (npm start with persisted data).
describe('ensureTable', () => {
  const client = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'us-east-1' });
  const created: string[] = [];
  afterAll(async () => {
    for (const TableName of created) await client.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
  });
  const indexesOf = async (TableName: string) =>
    ((await client.send(new DescribeTableCommand({ TableName }))).Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
      name: index.IndexName,
      keys: index.KeySchema?.map((key) => `${key.AttributeName}:${key.KeyType}`),
      projection: index.Projection?.ProjectionType,
    }));
  const BY_USER = { name: 'by_user', keys: ['user_id:HASH', 'pk:RANGE'], projection: 'KEYS_ONLY' };

  it('creates the table with the by_user index, and is idempotent', async () => {
    const name = `t-${randomUUID()}`;
    created.push(name);
    expect(await ensureTable(client, name)).toBe('created');
    expect(await ensureTable(client, name)).toBe('existing');
    expect(await indexesOf(name)).toEqual([BY_USER]);
  });

  it('adds the index to a table made without it', async () => {
    const name = `t-${randomUUID()}`;
    created.push(name);
    await client.send(
      new CreateTableCommand({
        TableName: name,
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
    expect(await ensureTable(client, name)).toBe('existing');
    expect(await indexesOf(name)).toEqual([BY_USER]);
  });
});
