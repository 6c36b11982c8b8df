import { BatchWriteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BY_USER_INDEX, FAMILY_PREFIX, itemKeys } from './keys.js';
import { isConditionalCheckFailure } from './dynamo.js';
import type { StoreContext } from './user-records.js';

/**
 * A user's sessions (refresh-token families, DESIGN section 11) as operators see them, and
 * the clean-up of a deleted user's tokens. Families live in the user's partition (a
 * strongly consistent Query); tokens are found through the `by_user` index. Neither needs
 * a Scan, so the cost grows with the user, not with the table.
 */
export interface SessionSummary {
  family_id: string;
  client_id: string;
  /** The identity whose login started it. */
  identity: string;
  scope: string;
  state: 'active' | 'revoked' | 'expired';
  created_at: string;
  last_used_at?: string;
  expires_at: string;
  revoked_at?: string;
}

const iso = (seconds: unknown): string | undefined => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : undefined);

export const listSessions = async ({ client, tableName }: StoreContext, userId: string, now = new Date()): Promise<SessionSummary[]> => {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const sessions: SessionSummary[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :family)',
        ExpressionAttributeValues: { ':pk': itemKeys.user(userId).pk, ':family': FAMILY_PREFIX },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const expiresAt = item.family_expires_at as number;
      sessions.push({
        family_id: item.family_id as string,
        client_id: item.client_id as string,
        identity: item.identity as string,
        scope: item.scope as string,
        state: item.revoked_at !== undefined ? 'revoked' : expiresAt <= nowSeconds ? 'expired' : 'active',
        created_at: iso(item.created_at) ?? '',
        ...(item.last_used_at !== undefined ? { last_used_at: iso(item.last_used_at)! } : {}),
        expires_at: iso(expiresAt) ?? '',
        ...(item.revoked_at !== undefined ? { revoked_at: iso(item.revoked_at)! } : {}),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return sessions.sort((a, b) => a.created_at.localeCompare(b.created_at));
};

/** Ends the user's active families (those `which` selects); returns how many it ended. */
export const revokeSessions = async (
  store: StoreContext,
  userId: string,
  which: (session: SessionSummary) => boolean = () => true,
  now = new Date(),
): Promise<number> => {
  const active = (await listSessions(store, userId, now)).filter((session) => session.state === 'active' && which(session));
  let ended = 0;
  for (const session of active) {
    try {
      await store.client.send(
        new UpdateCommand({
          TableName: store.tableName,
          Key: itemKeys.family(userId, session.family_id),
          UpdateExpression: 'SET revoked_at = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revoked_at)',
          ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
        }),
      );
      ended += 1;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error; // revoked meanwhile: ended anyway
    }
  }
  return ended;
};

export interface TokenCleanup {
  access_tokens: number;
  refresh_tokens: number;
  sessions: number;
}

/**
 * Deletes the tokens and families of these (already deleted) user ids. The index is
 * eventually consistent, so a token issued in the last instant may be missed: it is
 * unusable anyway, since /userinfo and the refresh find no user, and its TTL removes it.
 */
export const deleteTokensOf = async (store: StoreContext, userIds: string[]): Promise<TokenCleanup> => {
  const cleanup: TokenCleanup = { access_tokens: 0, refresh_tokens: 0, sessions: 0 };
  for (const userId of userIds) {
    const keys: Array<{ pk: string; sk: string }> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await store.client.send(
        new QueryCommand({
          TableName: store.tableName,
          IndexName: BY_USER_INDEX.name,
          KeyConditionExpression: '#user = :user',
          ExpressionAttributeNames: { '#user': BY_USER_INDEX.partitionKey },
          ExpressionAttributeValues: { ':user': userId },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = item.pk as string;
        // Only tokens: a user or identity item seen here could be a new login's, after the delete.
        if (pk.startsWith('TOKEN#')) cleanup.access_tokens += 1;
        else if (pk.startsWith('RT#')) cleanup.refresh_tokens += 1;
        else continue;
        keys.push({ pk, sk: item.sk as string });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    const families = await listSessions(store, userId);
    keys.push(...families.map((family) => itemKeys.family(userId, family.family_id)));
    cleanup.sessions += families.length;
    for (let offset = 0; offset < keys.length; offset += 25) await deleteKeys(store, keys.slice(offset, offset + 25));
  }
  return cleanup;
};

const deleteKeys = async ({ client, tableName }: StoreContext, keys: Array<{ pk: string; sk: string }>) => {
  let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 0; requests.length > 0; attempt += 1) {
    if (attempt > 5) throw new Error('DynamoDB left token deletions unprocessed after 5 retries');
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
    requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
  }
};
