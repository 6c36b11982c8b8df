import { randomUUID } from 'node:crypto';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './keys.js';
import { isConditionalCheckFailure, storeFailure } from './dynamo.js';
import type { SingleUseStore } from '../core/ports.js';

/**
 * Single use of accepted subject tokens (DESIGN section 10): one conditional PutItem per
 * exchange, with a TTL at the token's own expiry (after which the token is refused anyway).
 *
 * The claim id makes the write idempotent: when the SDK retries a put whose first attempt
 * landed but whose answer was lost, the condition still holds for the same claim, so a
 * retry is never mistaken for a replay.
 */
export const createSingleUseStore = (options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  nowSeconds?: () => number;
}): SingleUseStore => {
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  return {
    async claim(key, expiresAt) {
      const claimId = randomUUID();
      try {
        await options.client.send(
          new PutCommand({
            TableName: options.tableName,
            Item: { ...itemKeys.usedSubject(key), type: 'used_subject', claim_id: claimId, expires_at: expiresAt },
            // TTL deletion can lag by hours: an expired record no longer counts as a use.
            ConditionExpression: 'attribute_not_exists(pk) OR claim_id = :claim OR expires_at < :now',
            ExpressionAttributeValues: { ':claim': claimId, ':now': nowSeconds() },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailure(error)) return false;
        throw storeFailure(error);
      }
    },
  };
};
