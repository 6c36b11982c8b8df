import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './user-records.js';

export interface TokenSweep {
  deleted: number;
  /** Items the Scan read: what the sweep cost, since a filter does not reduce a Scan's reads. */
  scanned: number;
}

/**
 * Deletes the access tokens of these user ids. TOKEN items are keyed by the token's hash
 * only (the exchange's hot path writes one item, no index), so finding a user's tokens is
 * a Scan of the whole table: its cost grows with the table, not with the user. Run after
 * the user is gone, it is clean-up: /userinfo already refuses a token whose user is missing.
 */
export const deleteAccessTokensOf = async (
  { client, tableName }: StoreContext,
  userIds: string[],
  page: { Limit?: number } = {},
): Promise<TokenSweep> => {
  const values = Object.fromEntries(userIds.map((id, index) => [`:u${index}`, id]));
  const sweep: TokenSweep = { deleted: 0, scanned: 0 };
  let start: Record<string, unknown> | undefined;
  do {
    const result = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: `begins_with(pk, :token) AND user_id IN (${Object.keys(values).join(', ')})`,
        ExpressionAttributeValues: { ':token': 'TOKEN#', ...values },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
        ...page,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    sweep.scanned += result.ScannedCount ?? 0;
    const keys = (result.Items ?? []).map((item) => ({ pk: item.pk as string, sk: item.sk as string }));
    for (let offset = 0; offset < keys.length; offset += 25) await deleteKeys(client, tableName, keys.slice(offset, offset + 25));
    sweep.deleted += keys.length;
    start = result.LastEvaluatedKey;
  } while (start);
  return sweep;
};

const deleteKeys = async (client: StoreContext['client'], tableName: string, keys: Array<{ pk: string; sk: string }>) => {
  let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 0; requests.length > 0; attempt += 1) {
    if (attempt > 5) throw new Error('DynamoDB left token deletions unprocessed after 5 retries');
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
    requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
  }
};
