/** Item keys of the single table (DESIGN section 5). */
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
} as const;

export { auth0UserId } from '../core/profile.js';
