import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './keys.js';
import { storeFailure } from './dynamo.js';
import { retryOnTransactionConflict } from './conflict-retry.js';
import type { RefreshTokenRecord, RefreshTokenStore } from '../core/ports.js';

/**
 * The write a login makes to start a refresh-token family (DESIGN section 11): the family item
 * and its first token. Its own module so that the legacy endpoint, which only starts families,
 * does not bundle the rotation, revocation and reads of store/refresh-tokens.ts.
 */
export const refreshTokenItem = (record: Omit<RefreshTokenRecord, 'usedAt'>) => ({
  ...itemKeys.refreshToken(record.tokenHash),
  type: 'refresh_token',
  family_id: record.familyId,
  user_id: record.userId,
  client_id: record.clientId,
  scope: record.scope,
  identity: record.identity,
  issued_at: record.issuedAt,
  idle_expires_at: record.idleExpiresAt,
  family_expires_at: record.familyExpiresAt,
  profile: record.profile,
  // Kept until the family expires: a used token must stay recognisable.
  expires_at: record.familyExpiresAt,
});

export const sendToStore = async <T>(operation: () => Promise<T>): Promise<T> => {
  try {
    return await retryOnTransactionConflict(operation);
  } catch (error) {
    throw storeFailure(error);
  }
};

export const createRefreshFamilyStarter = (options: { client: DynamoDBDocumentClient; tableName: string }): Pick<RefreshTokenStore, 'startFamily'> => {
  const { client, tableName } = options;
  const tokenItem = refreshTokenItem;
  const send = sendToStore;
  return {
    async startFamily(family) {
      // Unconditional puts of fresh random keys: an SDK retry writes the same items again.
      await send(() =>
        Promise.all([
          client.send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...itemKeys.family(family.userId, family.familyId),
                type: 'refresh_family',
                family_id: family.familyId,
                user_id: family.userId,
                client_id: family.clientId,
                scope: family.scope,
                identity: family.identity,
                created_at: family.createdAt,
                last_used_at: family.createdAt,
                family_expires_at: family.familyExpiresAt,
                expires_at: family.familyExpiresAt,
              },
            }),
          ),
          client.send(
            new PutCommand({
              TableName: tableName,
              Item: tokenItem({
                tokenHash: family.tokenHash,
                familyId: family.familyId,
                userId: family.userId,
                clientId: family.clientId,
                scope: family.scope,
                identity: family.identity,
                issuedAt: family.createdAt,
                idleExpiresAt: family.idleExpiresAt,
                familyExpiresAt: family.familyExpiresAt,
                profile: family.profile,
              }),
            }),
          ),
        ]),
      );
    },

  };
};
