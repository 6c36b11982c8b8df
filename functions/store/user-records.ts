import { BatchGetCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isStrategy, strategies, type Strategy } from '../core/strategies.js';
import { auth0UserId, itemKeys } from './keys.js';

/**
 * What the user administration (user-admin.ts, user-links.ts) shares: user id parsing, its
 * error type, and consistent reads of USER and IDENTITY items.
 */
export interface StoreContext {
  client: DynamoDBDocumentClient;
  tableName: string;
}

export type UserAdminErrorCode =
  | 'invalid_user_id'
  | 'invalid_argument'
  | 'not_found'
  | 'not_a_user'
  | 'same_user'
  | 'already_linked'
  | 'has_linked_identities'
  | 'primary_is_linked'
  | 'too_many_identities'
  | 'not_linked'
  | 'own_identity'
  | 'conflict';

export class UserAdminError extends Error {
  override readonly name = 'UserAdminError';
  constructor(
    readonly code: UserAdminErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An identity named the Auth0 way: `<strategy>|<provider user id>`. */
export interface IdentityRef {
  userId: string;
  provider: Strategy;
  providerUserId: string;
}

// Provider ids are digits today (ids of Graph, Google `sub`, `id_str`, `idstr`); the wider
// set leaves room for new providers while keeping `|`, spaces and control characters out.
const PROVIDER_USER_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

export const parseUserId = (value: string): IdentityRef => {
  const separator = value.indexOf('|');
  const provider = separator > 0 ? value.slice(0, separator) : '';
  const providerUserId = value.slice(separator + 1);
  if (separator <= 0 || !PROVIDER_USER_ID.test(providerUserId)) {
    throw new UserAdminError('invalid_user_id', `invalid user id ${JSON.stringify(value)}: expected <strategy>|<id>, e.g. facebook|10224567890123456`);
  }
  if (!isStrategy(provider)) {
    throw new UserAdminError('invalid_user_id', `invalid user id ${JSON.stringify(value)}: unknown strategy ${JSON.stringify(provider)} (known: ${strategies.join(', ')})`);
  }
  return { userId: value, provider, providerUserId };
};

/** An element of a USER item's `identities` list. */
export interface IdentityEntry {
  provider: string;
  user_id: string;
  connection: string;
}

export const entryUserId = (entry: IdentityEntry): string => auth0UserId(entry.provider, entry.user_id);

/** A USER item: a user, or the tombstone of an identity linked to `linked_to`. */
export type UserItem = Record<string, unknown> & { identities?: IdentityEntry[]; linked_to?: string };
export type IdentityItem = Record<string, unknown> & { user_id?: string; connection?: string };

// Decisions are taken on what was read, so reads are strongly consistent.
export const readUser = async ({ client, tableName }: StoreContext, userId: string): Promise<UserItem | undefined> =>
  (await client.send(new GetCommand({ TableName: tableName, Key: itemKeys.user(userId), ConsistentRead: true }))).Item as
    | UserItem
    | undefined;

export const readIdentity = async ({ client, tableName }: StoreContext, ref: IdentityRef): Promise<IdentityItem | undefined> =>
  (
    await client.send(
      new GetCommand({ TableName: tableName, Key: itemKeys.identity(ref.provider, ref.providerUserId), ConsistentRead: true }),
    )
  ).Item as IdentityItem | undefined;

/** IDENTITY items of these entries, by Auth0 user id (absent ones are missing from the map). */
export const readIdentities = async ({ client, tableName }: StoreContext, entries: IdentityEntry[]): Promise<Map<string, IdentityItem>> => {
  const found = new Map<string, IdentityItem>();
  let keys = entries.map((entry) => itemKeys.identity(entry.provider, entry.user_id));
  for (let attempt = 0; keys.length > 0; attempt += 1) {
    if (attempt > 0) {
      if (attempt > 5) throw new Error('DynamoDB left identity reads unprocessed after 5 retries');
      await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    }
    const batch = keys.slice(0, 100);
    const result = await client.send(
      new BatchGetCommand({ RequestItems: { [tableName]: { Keys: batch, ConsistentRead: true } } }),
    );
    for (const item of result.Responses?.[tableName] ?? []) {
      found.set(auth0UserId(item.provider as string, item.provider_user_id as string), item as IdentityItem);
    }
    keys = [...keys.slice(100), ...((result.UnprocessedKeys?.[tableName]?.Keys ?? []) as typeof keys)];
  }
  return found;
};

export type CancellationReason = { Code?: string; Item?: Record<string, unknown> } | undefined;

/** True when a transaction was cancelled because one of its conditions failed. */
export const failedCondition = (error: unknown): boolean =>
  (error as { name?: string }).name === 'TransactionCanceledException' &&
  ((error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []).some(
    (reason) => reason?.Code === 'ConditionalCheckFailed',
  );
