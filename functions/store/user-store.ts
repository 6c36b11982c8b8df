import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { auth0UserId, itemKeys } from './keys.js';
import { isConditionalCheckFailure, itemCommandClient, storeFailure } from './dynamo.js';
import { retryOnTransactionConflict } from './conflict-retry.js';
import { errors } from '../core/errors.js';
import type { AccountReader, LoginInput, LoginRecord, UserProfile, UserStore } from '../core/ports.js';

/**
 * Identities and users (DESIGN section 5).
 *
 * A login writes the identity item and its own user item in parallel, each with one
 * conditional UpdateItem:
 * - creation fields use `if_not_exists`, so racing first logins converge on one user;
 * - `last_login_id <> :login` makes an SDK retry of an already-applied write a no-op
 *   (the failed condition returns the item, which is the answer we wanted);
 * - the user write requires `attribute_not_exists(linked_to)`: when the identity was linked
 *   to a primary user, its own user item is a tombstone pointing at the primary, the write
 *   fails without effect and the login is recorded on the primary instead.
 * The common case (not linked) thus costs one parallel round trip.
 *
 * The two login writes are the hot path of every exchange, so they are sent as low-level
 * UpdateItem commands with attribute values marshalled here (the same `marshall` and
 * options as the DocumentClient): a DocumentClient command adds two middlewares and a
 * generic walk over the input and output on each call. The own user's write asks for no
 * return values: what it wrote (the claims, `updated_at`) is the login record's profile.
 *
 * The admin's link, unlink and delete transactions (user-links.ts, user-admin.ts) touch the
 * same items; a login write that meets one is rejected unapplied and retried, and each
 * single-item write then lands wholly before or after the transaction.
 */
export const createUserStore = (options: { client: DynamoDBDocumentClient; tableName: string }): UserStore & AccountReader => {
  const { client, tableName } = options;

  const updateIdentity = async (input: LoginInput, ownUserId: string) => {
    const { profile } = input;
    const now = input.now.toISOString();
    // Apple's refresh token (a code exchange) replaces the previous one: the newest grant is
    // the one to revoke when the user is deleted. Never returned by any read of the service.
    const refresh = input.providerRefreshToken !== undefined ? ', provider_refresh_token = :refresh' : '';
    const initial = input.initialClaims !== undefined ? ', initial_claims = if_not_exists(initial_claims, :initial)' : '';
    try {
      await retryOnTransactionConflict(() =>
        itemCommandClient(client).send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: marshall(itemKeys.identity(profile.provider, profile.provider_user_id)),
            UpdateExpression:
              'SET #type = :type, user_id = if_not_exists(user_id, :own), provider = :provider, ' +
              'provider_user_id = :pid, #connection = :connection, profile_data = :claims, ' +
              'created_at = if_not_exists(created_at, :now), updated_at = :now, last_login = :now, ' +
              `last_login_id = :login${refresh}${initial} ADD logins_count :one`,
            ConditionExpression: 'attribute_not_exists(last_login_id) OR last_login_id <> :login',
            ExpressionAttributeNames: { '#type': 'type', '#connection': 'connection' },
            ExpressionAttributeValues: marshall(
              {
                ':type': 'identity',
                ':own': ownUserId,
                ':provider': profile.provider,
                ':pid': profile.provider_user_id,
                ':connection': input.connection,
                ':claims': profile.claims,
                ':now': now,
                ':login': input.loginId,
                ':one': 1,
                ...(refresh ? { ':refresh': input.providerRefreshToken } : {}),
                ...(initial ? { ':initial': input.initialClaims } : {}),
              },
              MARSHALL_OPTIONS,
            ),
          }),
        ),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) return; // this very login was already applied
      throw storeFailure(error);
    }
  };

  /** Returns the user's profile as written, or the tombstone's primary id when linked. */
  const updateOwnUser = async (
    input: LoginInput,
    ownUserId: string,
  ): Promise<{ item: Record<string, unknown> } | { linkedTo: string }> => {
    const { profile } = input;
    const now = input.now.toISOString();
    // A name that only the first login knows (Apple): kept beside the provider's claims,
    // which every login replaces, and never overwritten once set.
    const initial = input.initialClaims !== undefined ? ', initial_claims = if_not_exists(initial_claims, :initial)' : '';
    try {
      const result = await retryOnTransactionConflict(() =>
        itemCommandClient(client).send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: marshall(itemKeys.user(ownUserId)),
            UpdateExpression:
              'SET #type = :type, user_id = :own, profile = :claims, identities = if_not_exists(identities, :identities), ' +
              'created_at = if_not_exists(created_at, :now), updated_at = :now, last_login = :now, ' +
              `last_login_id = :login${initial} ADD logins_count :one`,
            // A blocked user fails the condition too: the item then comes back (ALL_OLD) with its
            // `blocked` flag, so the login learns of the block without a read (DESIGN section 11),
            // and a blocked user's login is not recorded.
            ConditionExpression:
              'attribute_not_exists(linked_to) AND attribute_not_exists(blocked) AND ' +
              '(attribute_not_exists(last_login_id) OR last_login_id <> :login)',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: marshall(
              {
                ':type': 'user',
                ':own': ownUserId,
                ':claims': profile.claims,
                ':identities': [
                  { provider: profile.provider, user_id: profile.provider_user_id, connection: input.connection },
                ],
                ':now': now,
                ':login': input.loginId,
                ':one': 1,
                ...(initial ? { ':initial': input.initialClaims } : {}),
              },
              MARSHALL_OPTIONS,
            ),
            // Only a login that brings first-login claims needs the item back: the kept
            // initial_claims may predate this login. Otherwise the item holds what was written.
            ...(initial ? { ReturnValues: 'ALL_NEW' as const } : {}),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      if (initial && result.Attributes) return { item: unmarshall(result.Attributes as never) };
      // `SET profile = :claims, updated_at = :now`: the item now holds exactly these.
      return { item: { profile: definedOnly(profile.claims), updated_at: now } };
    } catch (error) {
      if (isConditionalCheckFailure(error)) {
        const old = error.Item ? unmarshall(error.Item as never) : {};
        if (typeof old.linked_to === 'string') return { linkedTo: old.linked_to };
        return { item: old }; // a retry of this same login: the write already happened
      }
      throw storeFailure(error);
    }
  };

  const recordLoginOnPrimary = async (input: LoginInput, primaryId: string): Promise<Record<string, unknown>> => {
    const now = input.now.toISOString();
    try {
      const result = await retryOnTransactionConflict(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: itemKeys.user(primaryId),
            // Auth0 keeps the primary's profile when a secondary identity logs in.
            UpdateExpression: 'SET last_login = :now, last_login_id = :login ADD logins_count :one',
            ConditionExpression:
              'attribute_exists(pk) AND attribute_not_exists(linked_to) AND ' +
              '(attribute_not_exists(last_login_id) OR last_login_id <> :login)',
            ExpressionAttributeValues: { ':now': now, ':login': input.loginId, ':one': 1 },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return result.Attributes ?? {};
    } catch (error) {
      if (isConditionalCheckFailure(error)) {
        const old = error.Item ? unmarshall(error.Item as never) : undefined;
        if (old && old.linked_to === undefined) return old;
        // A link that points at a missing or itself-linked user: refuse rather than guess.
        throw errors.unexpected(new Error('identity linked to a missing primary user'));
      }
      throw storeFailure(error);
    }
  };

  return {
    async recordLogin(input) {
      const ownUserId = auth0UserId(input.profile.provider, input.profile.provider_user_id);
      const [, own] = await Promise.all([updateIdentity(input, ownUserId), updateOwnUser(input, ownUserId)]);
      if ('item' in own) return toLoginRecord(own.item, ownUserId, false);
      const primary = await recordLoginOnPrimary(input, own.linkedTo);
      return toLoginRecord(primary, own.linkedTo, true);
    },

    async getAccount(userId) {
      let item;
      try {
        ({ Item: item } = await client.send(new GetCommand({ TableName: tableName, Key: itemKeys.user(userId), ConsistentRead: true })));
      } catch (error) {
        throw storeFailure(error);
      }
      if (!item || item.linked_to !== undefined) return undefined;
      return { profile: profileOf(item), blocked: item.blocked !== undefined };
    },
  };
};

/** The DocumentClient's marshalling options (store/dynamo.ts), for the commands marshalled here. */
const MARSHALL_OPTIONS = { removeUndefinedValues: true } as const;

/** What `removeUndefinedValues` stored of a map: the item read back would lack those keys. */
const definedOnly = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;

const profileOf = (item: Record<string, unknown>): UserProfile => ({
  ...((item.initial_claims as UserProfile | undefined) ?? {}),
  ...((item.profile as UserProfile | undefined) ?? {}),
  ...(typeof item.updated_at === 'string' ? { updated_at: item.updated_at } : {}),
});

const toLoginRecord = (item: Record<string, unknown>, userId: string, linked: boolean): LoginRecord => ({
  userId,
  linked,
  profile: profileOf(item),
  // Set by `npm run users -- block` (user-admin.ts); checked at every login and refresh.
  ...(item.blocked !== undefined ? { blocked: true } : {}),
});
