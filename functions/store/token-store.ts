import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './keys.js';
import { itemCommandClient, storeFailure } from './dynamo.js';
import type { AccessTokenRecord, TokenStore } from '../core/ports.js';

/**
 * Opaque access tokens, stored by SHA-256 only: a leaked table never yields a usable token.
 * Items carry `expires_at` for DynamoDB TTL; reads treat expired items as absent because
 * TTL deletion can lag by hours.
 */
export const createTokenStore = (options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  nowSeconds?: () => number;
}): TokenStore => {
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  return {
    async save(record) {
      try {
        // An unconditional put of the same item is idempotent, so SDK retries are safe.
        // One put per exchange: a low-level command with the item written out as attribute
        // values skips the DocumentClient's per-call marshalling middleware.
        const key = itemKeys.token(record.tokenHash);
        await itemCommandClient(options.client).send(
          new PutItemCommand({
            TableName: options.tableName,
            Item: {
              pk: { S: key.pk },
              sk: { S: key.sk },
              type: { S: 'access_token' },
              user_id: { S: record.userId },
              client_id: { S: record.clientId },
              scope: { S: record.scope },
              expires_at: { N: String(record.expiresAt) },
              ...(record.familyId !== undefined ? { family_id: { S: record.familyId } } : {}),
            },
          }),
        );
      } catch (error) {
        throw storeFailure(error);
      }
    },
    async find(tokenHash) {
      let item;
      try {
        ({ Item: item } = await options.client.send(
          // Strongly consistent: /userinfo right after the exchange must see the new token.
          new GetCommand({ TableName: options.tableName, Key: itemKeys.token(tokenHash), ConsistentRead: true }),
        ));
      } catch (error) {
        throw storeFailure(error);
      }
      if (!item || typeof item.expires_at !== 'number' || item.expires_at <= nowSeconds()) return undefined;
      return {
        tokenHash,
        userId: item.user_id as string,
        clientId: item.client_id as string,
        scope: item.scope as string,
        expiresAt: item.expires_at,
        ...(typeof item.family_id === 'string' ? { familyId: item.family_id } : {}),
      } satisfies AccessTokenRecord;
    },
  };
};
