import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { itemKeys } from './keys.js';
import { isConditionalCheckFailure, storeFailure } from './dynamo.js';
import { retryOnTransactionConflict } from './conflict-retry.js';
import type { RefreshTokenRecord, RefreshTokenStore, RotationResult, UserProfile } from '../core/ports.js';
import { createRefreshFamilyStarter, refreshTokenItem, sendToStore } from './refresh-families.js';

/**
 * Refresh tokens and their families (DESIGN section 11).
 *
 * - `RT#<sha256>` / `RT`: one token. It is never deleted when used: a used token is what
 *   reuse detection recognises, so it lives (TTL) until its family's absolute expiry.
 * - `USER#<user_id>` / `FAMILY#<id>`: one family, in its user's partition so that a Query
 *   lists a user's sessions; `revoked_at` ends it.
 *
 * A refresh is two round trips. One: a conditional UpdateItem marks the presented token
 * used; exactly one of N concurrent calls can succeed, and a crash after it leaves a used
 * parent and no child (never two children). Two: one TransactWriteItems puts the child,
 * touches the family (not revoked) and checks the user (present, not blocked, not linked
 * away) and the identity (still this user's), while the profile is read beside it.
 */
export const createRefreshTokenStore = (options: { client: DynamoDBDocumentClient; tableName: string }): RefreshTokenStore => {
  const { client, tableName } = options;

  const tokenItem = refreshTokenItem;
  const send = sendToStore;

  return {
    ...createRefreshFamilyStarter(options),

    async use({ tokenHash, clientId, now, rotationId }) {
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: itemKeys.refreshToken(tokenHash),
            UpdateExpression: 'SET used_at = :now, rotation_id = :rotation',
            // Another client's or an expired token is left untouched: only its owner's use counts.
            ConditionExpression:
              'attribute_exists(pk) AND client_id = :client AND idle_expires_at > :now AND family_expires_at > :now AND ' +
              '(attribute_not_exists(used_at) OR rotation_id = :rotation)',
            ExpressionAttributeValues: { ':now': now, ':rotation': rotationId, ':client': clientId },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { record: toRecord(result.Attributes ?? {}, tokenHash), rotated: true };
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw storeFailure(error);
        if (!error.Item) return undefined;
        return { record: toRecord(unmarshall(error.Item as never), tokenHash), rotated: false };
      }
    },

    async rotate({ parent, tokenHash, idleExpiresAt, profile, now }) {
      const userKey = itemKeys.user(parent.userId);
      const [transaction, user] = await Promise.all([
        retryOnTransactionConflict(() =>
          client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: tableName,
                    Item: tokenItem({ ...parent, tokenHash, issuedAt: now, idleExpiresAt, profile }),
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                {
                  // A family revoked because THIS parent was reused meanwhile still lets this,
                  // the parent's one legitimate rotation, finish: its child is dead anyway.
                  Update: {
                    TableName: tableName,
                    Key: itemKeys.family(parent.userId, parent.familyId),
                    UpdateExpression: 'SET last_used_at = :now',
                    ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(revoked_at) OR reuse_of = :parent)',
                    ExpressionAttributeValues: { ':now': now, ':parent': parent.tokenHash },
                  },
                },
                {
                  ConditionCheck: {
                    TableName: tableName,
                    Key: userKey,
                    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(linked_to) AND attribute_not_exists(blocked)',
                    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                  },
                },
                {
                  // Link and unlink move the identity to another user: the family ends with it.
                  ConditionCheck: {
                    TableName: tableName,
                    Key: { pk: `IDENTITY#${parent.identity}`, sk: 'IDENTITY' },
                    ConditionExpression: 'user_id = :user',
                    ExpressionAttributeValues: { ':user': parent.userId },
                  },
                },
              ],
            }),
          ),
        ).then(
          () => undefined,
          (error: unknown) => error,
        ),
        send(() => client.send(new GetCommand({ TableName: tableName, Key: userKey, ConsistentRead: true }))),
      ]);
      if (transaction === undefined) return { outcome: 'rotated', profile: profileOf(user.Item ?? {}) };
      const result = refusal(transaction);
      if (!result) throw storeFailure(transaction);
      return result;
    },

    async release({ tokenHash, rotationId }) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: itemKeys.refreshToken(tokenHash),
            UpdateExpression: 'REMOVE used_at, rotation_id',
            ConditionExpression: 'rotation_id = :rotation',
            ExpressionAttributeValues: { ':rotation': rotationId },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw storeFailure(error);
      }
    },

    async updateProfile(tokenHash, profile) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: itemKeys.refreshToken(tokenHash),
            UpdateExpression: 'SET profile = :profile',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':profile': profile },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw storeFailure(error);
      }
    },

    async revokeFamily({ userId, familyId, now, reuseOf }) {
      try {
        await retryOnTransactionConflict(() =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: itemKeys.family(userId, familyId),
              UpdateExpression: reuseOf === undefined ? 'SET revoked_at = :now' : 'SET revoked_at = :now, reuse_of = :reused',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revoked_at)',
              ExpressionAttributeValues: { ':now': now, ...(reuseOf === undefined ? {} : { ':reused': reuseOf }) },
            }),
          ),
        );
      } catch (error) {
        // Already revoked or gone: the family is ended either way.
        if (!isConditionalCheckFailure(error)) throw storeFailure(error);
      }
    },

    async find(tokenHash) {
      const { Item } = await send(() =>
        client.send(new GetCommand({ TableName: tableName, Key: itemKeys.refreshToken(tokenHash), ConsistentRead: true })),
      );
      return Item ? toRecord(Item, tokenHash) : undefined;
    },

    async familyActive(userId, familyId, now) {
      const { Item } = await send(() =>
        client.send(new GetCommand({ TableName: tableName, Key: itemKeys.family(userId, familyId), ConsistentRead: true })),
      );
      return Item !== undefined && Item.revoked_at === undefined && typeof Item.family_expires_at === 'number' && Item.family_expires_at > now;
    },
  };
};

/** Which condition of the rotation failed, in the core's terms; anything else is a store failure. */
const refusal = (error: unknown): RotationResult | undefined => {
  const { name, CancellationReasons: reasons } = error as {
    name?: string;
    CancellationReasons?: Array<{ Code?: string; Item?: Record<string, unknown> } | undefined>;
  };
  if (name !== 'TransactionCanceledException' || !reasons) return undefined;
  const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';
  if (failed(2)) {
    const item = reasons[2]?.Item ? unmarshall(reasons[2].Item as never) : undefined;
    return { outcome: item && item.linked_to === undefined && item.blocked !== undefined ? 'user_blocked' : 'user_gone' };
  }
  if (failed(3)) return { outcome: 'user_gone' };
  if (failed(1)) return { outcome: 'family_ended' };
  return undefined;
};

const profileOf = (item: Record<string, unknown>): UserProfile => ({
  ...((item.profile as UserProfile | undefined) ?? {}),
  ...(typeof item.updated_at === 'string' ? { updated_at: item.updated_at } : {}),
});

const toRecord = (item: Record<string, unknown>, tokenHash: string): RefreshTokenRecord => ({
  tokenHash,
  familyId: item.family_id as string,
  userId: item.user_id as string,
  clientId: item.client_id as string,
  scope: item.scope as string,
  identity: item.identity as string,
  issuedAt: item.issued_at as number,
  idleExpiresAt: item.idle_expires_at as number,
  familyExpiresAt: item.family_expires_at as number,
  ...(typeof item.used_at === 'number' ? { usedAt: item.used_at } : {}),
  profile: (item.profile as UserProfile | undefined) ?? {},
});
