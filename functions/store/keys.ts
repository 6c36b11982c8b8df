/** Item keys of the single table (DESIGN section 5). */
export const FAMILY_PREFIX = 'FAMILY#';

/**
 * The global secondary index `by_user` (partition `user_id`, sort `pk`, keys only): every
 * item that names a user (identities, access and refresh tokens, families) can be found by
 * Query, so deleting a user never scans the table. Only operators query it.
 */
export const BY_USER_INDEX = { name: 'by_user', partitionKey: 'user_id', sortKey: 'pk' } as const;

export interface ItemKey {
  pk: string;
  sk: string;
}

export const itemKeys = {
  client: (clientId: string): ItemKey => ({ pk: `CLIENT#${clientId}`, sk: 'CONFIG' }),
  connection: (name: string): ItemKey => ({ pk: `CONNECTION#${name}`, sk: 'CONFIG' }),
  identity: (provider: string, providerUserId: string): ItemKey => ({
    pk: `IDENTITY#${provider}|${providerUserId}`,
    sk: 'IDENTITY',
  }),
  user: (userId: string): ItemKey => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  token: (tokenHash: string): ItemKey => ({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }),
  /** A subject token already exchanged at POST /oauth/token (DESIGN section 10, single use). */
  usedSubject: (key: string): ItemKey => ({ pk: `USED#${key}`, sk: 'USED' }),
  /** A refresh token, by SHA-256 (DESIGN section 11). */
  refreshToken: (tokenHash: string): ItemKey => ({ pk: `RT#${tokenHash}`, sk: 'RT' }),
  /** A refresh-token family, in its user's partition: a Query lists a user's sessions. */
  family: (userId: string, familyId: string): ItemKey => ({ pk: `USER#${userId}`, sk: `${FAMILY_PREFIX}${familyId}` }),
} as const;

export { auth0UserId } from '../core/profile.js';
