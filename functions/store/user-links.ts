import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { isTransactionConflict } from './conflict-retry.js';
import { itemKeys } from './keys.js';
import {
  failedCondition,
  parseUserId,
  readIdentity,
  readUser,
  UserAdminError,
  type IdentityEntry,
  type IdentityItem,
  type IdentityRef,
  type StoreContext,
  type UserItem,
} from './user-records.js';

/**
 * Account linking with Auth0's semantics. A linked secondary identity stops being a user:
 * its USER item becomes a tombstone `{linked_to: primary}` and its IDENTITY item's user_id
 * becomes the primary's, which is what the exchange's recordLogin follows (user-store.ts).
 *
 * Each link or unlink is ONE TransactWriteItems over the three items it changes, each with
 * a condition on the state that was read, so a crash or a race never leaves a half-linked
 * account; a login's single-item writes land wholly before or after it. Conditions that
 * fail mean someone changed the accounts meanwhile: the state is read again and either
 * the precise refusal or a fresh attempt follows.
 */

/**
 * A user's identities are deleted with it in one transaction (user-admin.ts), whose limit
 * is 100 items: the user, its identities and their tombstones.
 */
export const MAX_IDENTITIES_PER_USER = 50;

const ATTEMPTS = 4;

const backoff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * (0.5 + Math.random())));

/** Runs read-check-write until the write's conditions hold, or reports the refusal/conflict. */
const withOptimisticRetry = async (what: string, attempt: () => Promise<void>): Promise<void> => {
  for (let tries = 0; tries < ATTEMPTS; tries += 1) {
    if (tries > 0) await backoff(tries);
    try {
      await attempt();
      return;
    } catch (error) {
      if (!failedCondition(error) && !isTransactionConflict(error)) throw error;
    }
  }
  throw new UserAdminError('conflict', `${what}: the accounts kept changing while it ran; try again`);
};

export const linkUser = async (store: StoreContext, primaryId: string, secondaryId: string, now = new Date()): Promise<void> => {
  const primaryRef = parseUserId(primaryId);
  const secondaryRef = parseUserId(secondaryId);
  if (primaryRef.userId === secondaryRef.userId) throw new UserAdminError('same_user', `cannot link ${primaryId} to itself`);
  await withOptimisticRetry(`link ${secondaryId} to ${primaryId}`, async () => {
    const [primary, secondary, identity] = await Promise.all([
      readUser(store, primaryId),
      readUser(store, secondaryId),
      readIdentity(store, secondaryRef),
    ]);
    const connection = checkLinkable(primaryRef, primary, secondaryRef, secondary, identity);
    const entry: IdentityEntry = { provider: secondaryRef.provider, user_id: secondaryRef.providerUserId, connection };
    await store.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: store.tableName,
              Key: itemKeys.identity(secondaryRef.provider, secondaryRef.providerUserId),
              UpdateExpression: 'SET user_id = :primary, updated_at = :now',
              ConditionExpression: 'user_id = :secondary',
              ExpressionAttributeValues: { ':primary': primaryId, ':secondary': secondaryId, ':now': now.toISOString() },
            },
          },
          {
            // The secondary's profile survives in its IDENTITY item's profile_data (unlink uses it).
            Put: {
              TableName: store.tableName,
              Item: { ...itemKeys.user(secondaryId), type: 'user', linked_to: primaryId },
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(linked_to) AND size(identities) <= :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
          {
            Update: {
              TableName: store.tableName,
              Key: itemKeys.user(primaryId),
              UpdateExpression: 'SET identities = list_append(identities, :entry)',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(linked_to) AND size(identities) < :max',
              ExpressionAttributeValues: { ':entry': [entry], ':max': MAX_IDENTITIES_PER_USER },
            },
          },
        ],
      }),
    );
  });
};

/** The refusals, in the words an admin needs; returns the secondary identity's connection. */
const checkLinkable = (
  primaryRef: IdentityRef,
  primary: UserItem | undefined,
  secondaryRef: IdentityRef,
  secondary: UserItem | undefined,
  identity: IdentityItem | undefined,
): string => {
  const primaryId = primaryRef.userId;
  const secondaryId = secondaryRef.userId;
  if (!primary) throw new UserAdminError('not_found', `user ${primaryId} not found`);
  if (primary.linked_to !== undefined) {
    throw new UserAdminError(
      'primary_is_linked',
      `${primaryId} is itself linked to ${primary.linked_to}: link to ${primary.linked_to} instead`,
    );
  }
  const linkedTo = secondary?.linked_to ?? (identity && identity.user_id !== secondaryId ? identity.user_id : undefined);
  if (linkedTo !== undefined) {
    throw new UserAdminError(
      'already_linked',
      linkedTo === primaryId
        ? `${secondaryId} is already linked to ${primaryId}`
        : `${secondaryId} is already linked to ${linkedTo}: unlink it there first (an identity belongs to one user)`,
    );
  }
  if (!secondary || !identity) throw new UserAdminError('not_found', `user ${secondaryId} not found`);
  if ((secondary.identities?.length ?? 0) > 1) {
    throw new UserAdminError(
      'has_linked_identities',
      `${secondaryId} has linked identities of its own: unlink them first, or make ${secondaryId} the primary`,
    );
  }
  if ((primary.identities?.length ?? 0) >= MAX_IDENTITIES_PER_USER) {
    throw new UserAdminError('too_many_identities', `${primaryId} already has ${MAX_IDENTITIES_PER_USER} identities`);
  }
  return typeof identity.connection === 'string' ? identity.connection : secondaryRef.provider;
};

/**
 * Makes a linked identity a user of its own again: its USER item is rebuilt from the
 * profile its IDENTITY item kept, and the primary forgets it.
 */
export const unlinkIdentity = async (store: StoreContext, primaryId: string, identityId: string, now = new Date()): Promise<void> => {
  parseUserId(primaryId);
  const ref = parseUserId(identityId);
  if (ref.userId === primaryId) {
    throw new UserAdminError('own_identity', `${primaryId} is the user's own identity: only linked identities can be unlinked`);
  }
  await withOptimisticRetry(`unlink ${identityId} from ${primaryId}`, async () => {
    const [primary, identity] = await Promise.all([readUser(store, primaryId), readIdentity(store, ref)]);
    if (!primary) throw new UserAdminError('not_found', `user ${primaryId} not found`);
    if (primary.linked_to !== undefined) {
      throw new UserAdminError('not_a_user', `${primaryId} is not a user: it is linked to ${primary.linked_to}`);
    }
    const index = (primary.identities ?? []).findIndex((entry) => entry.provider === ref.provider && entry.user_id === ref.providerUserId);
    if (index < 0 || identity?.user_id !== primaryId) {
      throw new UserAdminError('not_linked', `${identityId} is not linked to ${primaryId}`);
    }
    const entry = primary.identities![index]!;
    const nowText = now.toISOString();
    await store.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            // REMOVE by position: the condition proves the position still holds this identity.
            Update: {
              TableName: store.tableName,
              Key: itemKeys.user(primaryId),
              UpdateExpression: `REMOVE identities[${index}]`,
              ConditionExpression:
                `attribute_not_exists(linked_to) AND identities[${index}].provider = :provider AND ` +
                `identities[${index}].user_id = :pid`,
              ExpressionAttributeValues: { ':provider': ref.provider, ':pid': ref.providerUserId },
            },
          },
          {
            // last_login_id changes with every login: the profile copied below is the latest.
            Update: {
              TableName: store.tableName,
              Key: itemKeys.identity(ref.provider, ref.providerUserId),
              UpdateExpression: 'SET user_id = :own, updated_at = :now',
              ConditionExpression:
                identity.last_login_id === undefined
                  ? 'user_id = :primary AND attribute_not_exists(last_login_id)'
                  : 'user_id = :primary AND last_login_id = :seen',
              ExpressionAttributeValues: {
                ':own': identityId,
                ':primary': primaryId,
                ':now': nowText,
                ...(identity.last_login_id === undefined ? {} : { ':seen': identity.last_login_id }),
              },
            },
          },
          {
            Put: {
              TableName: store.tableName,
              Item: rebuiltUser(identityId, entry, identity, nowText),
              ConditionExpression: 'attribute_not_exists(pk) OR linked_to = :primary',
              ExpressionAttributeValues: { ':primary': primaryId },
            },
          },
        ],
      }),
    );
  });
};

/** The USER item a login of this identity would have built, with the identity's history. */
const rebuiltUser = (userId: string, entry: IdentityEntry, identity: IdentityItem, now: string): Record<string, unknown> => ({
  ...itemKeys.user(userId),
  type: 'user',
  user_id: userId,
  profile: identity.profile_data ?? {},
  identities: [entry],
  created_at: identity.created_at ?? now,
  updated_at: now,
  ...(identity.last_login !== undefined ? { last_login: identity.last_login } : {}),
  ...(identity.logins_count !== undefined ? { logins_count: identity.logins_count } : {}),
});
