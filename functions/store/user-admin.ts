import { ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './keys.js';
import { linkUser, unlinkIdentity } from './user-links.js';
import { deleteTokensOf, listSessions, revokeSessions, type SessionSummary } from './user-sessions.js';
import { isConditionalCheckFailure } from './dynamo.js';
import {
  entryUserId,
  failedCondition,
  parseUserId,
  readIdentities,
  readUser,
  UserAdminError,
  type IdentityEntry,
  type StoreContext,
  type UserItem,
} from './user-records.js';
import { isTransactionConflict } from './conflict-retry.js';
import type { UserProfile } from '../core/ports.js';

/**
 * User administration for operators (the `npm run users` CLI): read, list, link, unlink,
 * delete. Not used by the Lambda functions.
 */
export interface IdentityDetails {
  provider: string;
  /** The provider's user id. */
  user_id: string;
  connection: string;
  /** False for the user's own identity, true for one linked to it. */
  linked: boolean;
  created_at?: string;
  last_login?: string;
  logins_count?: number;
  /** The provider profile of the identity's last login (Auth0's `profileData`); linked identities only. */
  profile_data?: UserProfile;
}

export interface UserDetails {
  user_id: string;
  profile: UserProfile;
  identities: IdentityDetails[];
  created_at?: string;
  updated_at?: string;
  last_login?: string;
  logins_count?: number;
  /** Blocked by `users block` (DESIGN section 11). */
  blocked?: boolean;
}

export interface UserSummary {
  user_id: string;
  name?: string;
  email?: string;
  connections: string[];
  identities: number;
  logins_count?: number;
  last_login?: string;
  created_at?: string;
}

export interface UserPage {
  users: UserSummary[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  cursor?: string;
}

/** A provider grant kept with an identity (Apple's refresh token), to revoke when the user goes. */
export interface ProviderGrant {
  identity: string;
  connection: string;
  refreshToken: string;
}

export interface DeleteReport {
  /** Apple refresh tokens revoked at the provider (Apple TN3194), or why not. Never the token. */
  provider_revocations?: Array<{ identity: string; revoked: boolean; error?: string }>;
  user_id: string;
  /** Auth0 ids of the identities deleted, the user's own first. */
  identities: string[];
  access_tokens: number;
  refresh_tokens: number;
  /** Refresh-token families deleted. */
  sessions: number;
}

export interface UserAdmin {
  getUser(userId: string): Promise<UserDetails>;
  listUsers(options?: { connection?: string; limit?: number; cursor?: string }): Promise<UserPage>;
  link(primaryId: string, secondaryId: string): Promise<UserDetails>;
  unlink(primaryId: string, identityId: string): Promise<{ primary: UserDetails; unlinked: UserDetails }>;
  deleteUser(userId: string): Promise<DeleteReport>;
  /** Blocked users get no tokens and their tokens stop working; unblock restores them. */
  setBlocked(userId: string, blocked: boolean): Promise<UserDetails>;
  sessions(userId: string): Promise<SessionSummary[]>;
  /** Ends every active session of the user; returns how many. */
  revokeSessions(userId: string): Promise<number>;
}

export type { SessionSummary };

export const MAX_LIST_LIMIT = 1000;

export const createUserAdmin = (options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Items per Scan request (default: DynamoDB's 1 MB pages); tests use small pages. */
  scanPageSize?: number;
  now?: () => Date;
  /**
   * Revokes a provider grant at the provider (Apple's `/auth/revoke`); called after the user
   * is deleted for each identity that kept one. Without it grants are not revoked.
   */
  revokeProviderGrant?: (grant: ProviderGrant) => Promise<void>;
}): UserAdmin => {
  const store: StoreContext = { client: options.client, tableName: options.tableName };
  const now = options.now ?? (() => new Date());
  const scanPage = options.scanPageSize ? { Limit: options.scanPageSize } : {};

  const getUser = async (userId: string): Promise<UserDetails> => {
    parseUserId(userId);
    const user = await readUser(store, userId);
    if (!user) throw new UserAdminError('not_found', `user ${userId} not found`);
    if (user.linked_to !== undefined) {
      throw new UserAdminError('not_a_user', `${userId} is not a user: it is an identity linked to ${user.linked_to}`);
    }
    const entries = user.identities ?? [];
    const identities = await readIdentities(store, entries);
    return {
      user_id: userId,
      profile: profileOf(user),
      identities: entries.map((entry) => {
        const id = entryUserId(entry);
        const item = identities.get(id);
        const linked = id !== userId;
        return dropUndefined({
          provider: entry.provider,
          user_id: entry.user_id,
          connection: entry.connection,
          linked,
          created_at: item?.created_at as string | undefined,
          last_login: item?.last_login as string | undefined,
          logins_count: item?.logins_count as number | undefined,
          profile_data: linked ? (item?.profile_data as UserProfile | undefined) : undefined,
        });
      }),
      ...timestampsOf(user),
      ...(user.blocked !== undefined ? { blocked: true } : {}),
    };
  };

  /** Users only: a tombstone of a linked identity has no sessions and cannot be blocked. */
  const requireUser = async (userId: string): Promise<void> => {
    await getUser(userId);
  };

  return {
    getUser,

    async listUsers({ connection, limit = 50, cursor } = {}) {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
        throw new UserAdminError('invalid_argument', `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
      }
      const users: UserSummary[] = [];
      let start = cursor === undefined ? undefined : decodeCursor(cursor);
      for (;;) {
        const page = await options.client.send(
          new ScanCommand({
            TableName: options.tableName,
            FilterExpression: 'begins_with(pk, :user) AND sk = :profile AND attribute_not_exists(linked_to)',
            ExpressionAttributeValues: { ':user': 'USER#', ':profile': 'PROFILE' },
            ...scanPage,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        const items = (page.Items ?? []) as UserItem[];
        for (const [index, item] of items.entries()) {
          // A map inside a list cannot be matched by a filter expression, hence here.
          if (connection !== undefined && !(item.identities ?? []).some((entry) => entry.connection === connection)) continue;
          users.push(summaryOf(item));
          if (users.length === limit) {
            const more = index < items.length - 1 || page.LastEvaluatedKey !== undefined;
            // A Scan resumes after any item's key, so the page can end mid-response.
            return more ? { users, cursor: encodeCursor({ pk: item.pk, sk: item.sk }) } : { users };
          }
        }
        if (!page.LastEvaluatedKey) return { users };
        start = page.LastEvaluatedKey;
      }
    },

    async link(primaryId, secondaryId) {
      await linkUser(store, primaryId, secondaryId, now());
      // The secondary's `sub` changes: its sessions end (the refresh also refuses them, as the
      // identity no longer belongs to the family's user; this makes it visible and final).
      await revokeSessions(store, secondaryId, () => true, now());
      return getUser(primaryId);
    },

    async unlink(primaryId, identityId) {
      await unlinkIdentity(store, primaryId, identityId, now());
      await revokeSessions(store, primaryId, (session) => session.identity === identityId, now());
      const [primary, unlinked] = await Promise.all([getUser(primaryId), getUser(identityId)]);
      return { primary, unlinked };
    },

    async deleteUser(userId) {
      parseUserId(userId);
      // Read before the delete removes them; revoked only once the user is really gone.
      const grants = options.revokeProviderGrant ? await providerGrantsOf(store, userId) : [];
      const identities = await deleteUserItems(store, userId);
      const cleanup = await deleteTokensOf(store, identities);
      const revocations = await Promise.all(
        grants.map(async (grant) => {
          try {
            await options.revokeProviderGrant!(grant);
            return { identity: grant.identity, revoked: true };
          } catch (error) {
            return { identity: grant.identity, revoked: false, error: String((error as Error)?.message ?? error).slice(0, 200) };
          }
        }),
      );
      return { user_id: userId, identities, ...cleanup, ...(revocations.length > 0 ? { provider_revocations: revocations } : {}) };
    },

    async setBlocked(userId, blocked) {
      parseUserId(userId);
      try {
        await options.client.send(
          new UpdateCommand({
            TableName: options.tableName,
            Key: itemKeys.user(userId),
            UpdateExpression: blocked ? 'SET blocked = :true, blocked_at = :now' : 'REMOVE blocked, blocked_at',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(linked_to)',
            ...(blocked ? { ExpressionAttributeValues: { ':true': true, ':now': now().toISOString() } } : {}),
          }),
        );
      } catch (error) {
        // getUser names the refusal: not found, or an identity linked to another user.
        if (isConditionalCheckFailure(error)) await requireUser(userId);
        throw error;
      }
      return getUser(userId);
    },

    async sessions(userId) {
      await requireUser(userId);
      return listSessions(store, userId, now());
    },

    async revokeSessions(userId) {
      await requireUser(userId);
      return revokeSessions(store, userId, () => true, now());
    },
  };
};

/**
 * Deletes the user, its identities and their tombstones in one transaction whose
 * conditions pin what was read: a link or unlink racing it fails the transaction, which is
 * then planned again. Returns the Auth0 ids of the identities deleted.
 */
const deleteUserItems = async (store: StoreContext, userId: string): Promise<string[]> => {
  for (let attempt = 0; attempt < 4; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * (0.5 + Math.random())));
    const user = await readUser(store, userId);
    if (!user) throw new UserAdminError('not_found', `user ${userId} not found`);
    if (user.linked_to !== undefined) {
      throw new UserAdminError(
        'not_a_user',
        `${userId} is not a user: it is an identity linked to ${user.linked_to} (unlink it, or delete ${user.linked_to})`,
      );
    }
    const entries: IdentityEntry[] = user.identities ?? [];
    const ids = entries.map(entryUserId);
    // The own identity is deleted even when a damaged item does not list it.
    if (!ids.includes(userId)) ids.unshift(userId);
    const linked = ids.filter((id) => id !== userId);
    try {
      await store.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: store.tableName,
                Key: itemKeys.user(userId),
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(linked_to) AND size(identities) = :count',
                ExpressionAttributeValues: { ':count': entries.length },
              },
            },
            ...ids.map((id) => {
              const ref = parseUserId(id);
              return {
                Delete: {
                  TableName: store.tableName,
                  Key: itemKeys.identity(ref.provider, ref.providerUserId),
                  ConditionExpression: 'attribute_not_exists(pk) OR user_id = :user',
                  ExpressionAttributeValues: { ':user': userId },
                },
              };
            }),
            ...linked.map((id) => ({
              Delete: {
                TableName: store.tableName,
                Key: itemKeys.user(id),
                ConditionExpression: 'attribute_not_exists(pk) OR linked_to = :user',
                ExpressionAttributeValues: { ':user': userId },
              },
            })),
          ],
        }),
      );
      return ids;
    } catch (error) {
      if (!failedCondition(error) && !isTransactionConflict(error)) throw error;
    }
  }
  throw new UserAdminError('conflict', `delete ${userId}: the account kept changing while it ran; try again`);
};

const providerGrantsOf = async (store: StoreContext, userId: string): Promise<ProviderGrant[]> => {
  const user = await readUser(store, userId);
  if (!user || user.linked_to !== undefined) return []; // deleteUserItems reports it
  const entries: IdentityEntry[] = user.identities ?? [];
  const identities = await readIdentities(store, entries);
  return [...identities.entries()].flatMap(([identity, item]) => {
    const record = item as Record<string, unknown>;
    return typeof record.provider_refresh_token === 'string' && typeof record.connection === 'string'
      ? [{ identity, connection: record.connection, refreshToken: record.provider_refresh_token }]
      : [];
  });
};

// Apple's first-login name is kept beside the provider's claims (user-store.ts).
const profileOf = (item: UserItem): UserProfile => ({
  ...((item as Record<string, unknown>).initial_claims as UserProfile | undefined),
  ...((item.profile as UserProfile | undefined) ?? {}),
});

const timestampsOf = (item: UserItem) =>
  dropUndefined({
    created_at: item.created_at as string | undefined,
    updated_at: item.updated_at as string | undefined,
    last_login: item.last_login as string | undefined,
    logins_count: item.logins_count as number | undefined,
  });

const summaryOf = (item: UserItem): UserSummary => {
  const profile = profileOf(item);
  const entries = item.identities ?? [];
  return dropUndefined({
    user_id: item.user_id as string,
    name: profile.name,
    email: profile.email,
    connections: [...new Set(entries.map((entry) => entry.connection))],
    identities: entries.length,
    logins_count: item.logins_count as number | undefined,
    last_login: item.last_login as string | undefined,
    created_at: item.created_at as string | undefined,
  });
};

const dropUndefined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;

// The cursor is the key to resume after, base64url JSON: opaque to users, checked on the way in.
const encodeCursor = (key: { pk: unknown; sk: unknown }): string => Buffer.from(JSON.stringify(key)).toString('base64url');

const decodeCursor = (cursor: string): Record<string, string> => {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const { pk, sk, ...rest } = (key ?? {}) as Record<string, unknown>;
  if (typeof pk !== 'string' || typeof sk !== 'string' || Object.keys(rest).length > 0) {
    throw new UserAdminError('invalid_argument', 'invalid cursor: pass back the value a previous page returned');
  }
  return { pk, sk };
};
