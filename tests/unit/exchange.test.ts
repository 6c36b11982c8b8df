import { describe, expect, it } from 'vitest';
import { exchangeToken, hashAccessToken, type ExchangeDependencies } from '../../functions/core/exchange.js';
import { LEGACY_ACCESS_TOKEN_GRANT, OAuthError, errors } from '../../functions/core/errors.js';
import type { AccessTokenRecord, LoginInput, LoginRecord } from '../../functions/core/ports.js';
import type { ClientConfig, ConnectionConfig } from '../../functions/core/tenant.js';
import type { NormalizedProfile } from '../../functions/providers/types.js';

// In-memory implementations of the exchange's ports: the core is tested alone here; the
// DynamoDB/KMS/provider implementations are covered by the integration tests.
const client: ClientConfig = {
  client_id: 'app',
  grant_types: [LEGACY_ACCESS_TOKEN_GRANT],
  connections: ['facebook', 'twitter'],
  id_token_lifetime: 600,
  link_by_verified_email: false,
};
const connections: Record<string, ConnectionConfig> = {
  facebook: { name: 'facebook', strategy: 'facebook', options: { client_id: 'fb', client_secret: 's' } },
  twitter: { name: 'twitter', strategy: 'twitter', options: { client_id: 'tw', client_secret: 's' } },
  weibo: { name: 'weibo', strategy: 'weibo', options: { client_id: 'wb', client_secret: 's' } },
};
const alice: NormalizedProfile = {
  provider: 'facebook',
  provider_user_id: '123',
  claims: { name: 'Alice', email: 'alice@example.com', email_verified: false },
};

const setup = (options: { linkedTo?: string; clients?: ClientConfig[] } = {}) => {
  const saved: AccessTokenRecord[] = [];
  const logins: LoginInput[] = [];
  const signed: Record<string, unknown>[] = [];
  const now = new Date('2026-11-28T12:00:00Z');
  const deps: ExchangeDependencies = {
    tenants: {
      lookup: async (clientId, name) => ({
        client: (options.clients ?? [client]).find((c) => c.client_id === clientId),
        connection: connections[name],
      }),
    },
    users: {
      recordLogin: async (input): Promise<LoginRecord> => {
        logins.push(input);
        return options.linkedTo
          ? { userId: options.linkedTo, linked: true, profile: { name: 'Primary' } }
          : { userId: `facebook|${input.profile.provider_user_id}`, linked: false, profile: input.profile.claims };
      },
    },
    tokens: { save: async (record) => void saved.push(record), find: async () => undefined },
    verifier: {
      verify: async (_connection, request) => {
        if (request.accessToken === 'bad') throw errors.invalidProviderToken('rejected');
        return alice;
      },
    },
    signer: { sign: async (payload) => (signed.push(payload), `jwt.${signed.length}`) },
    clock: { now: () => now },
    accessTokenTtlSeconds: 86_400,
  };
  return { deps, saved, logins, signed, now };
};

const request = { client_id: 'app', access_token: 'good', connection: 'facebook' };
const context = { issuer: 'https://auth.example.com/' };

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return [error.status, error.description];
  }
  throw new Error('expected an OAuthError');
};

describe('exchangeToken', () => {
  it('issues an id_token and stores only the hash of the access token', async () => {
    const { deps, saved, signed, now } = setup();
    const { result, userId } = await exchangeToken({ ...request, scope: 'openid email' }, deps, context);
    expect(result).toEqual({ access_token: expect.any(String), id_token: 'jwt.1', token_type: 'Bearer', expires_in: 86_400 });
    expect(Buffer.from(result.access_token, 'base64url')).toHaveLength(32);
    expect(userId).toBe('facebook|123');
    const iat = now.getTime() / 1000;
    expect(signed).toEqual([
      { iss: context.issuer, sub: 'facebook|123', aud: 'app', iat, exp: iat + 600, email: 'alice@example.com', email_verified: false },
    ]);
    expect(saved).toEqual([
      { tokenHash: hashAccessToken(result.access_token), userId: 'facebook|123', clientId: 'app', scope: 'openid email', expiresAt: iat + 86_400 },
    ]);
  });

  it('issues no id_token without openid', async () => {
    const { deps, signed } = setup();
    const { result } = await exchangeToken({ ...request, scope: 'profile' }, deps, context);
    expect(result.id_token).toBeUndefined();
    expect(signed).toHaveLength(0);
  });

  it('redoes the signature and token record for a linked identity', async () => {
    const { deps, saved, signed } = setup({ linkedTo: 'google-oauth2|9' });
    const { result, userId } = await exchangeToken({ ...request, scope: 'openid profile' }, deps, context);
    expect(userId).toBe('google-oauth2|9');
    expect(result.id_token).toBe('jwt.2');
    expect(signed[1]).toMatchObject({ sub: 'google-oauth2|9', name: 'Primary' });
    expect(saved.at(-1)?.userId).toBe('google-oauth2|9');
  });

  it.each([
    [{ ...request, client_id: 'nobody' }, undefined, [403, 'invalid client']],
    [request, [{ ...client, grant_types: [] }], [403, `Grant type '${LEGACY_ACCESS_TOKEN_GRANT}' not allowed for the client.`]],
    [{ ...request, connection: 'nope' }, undefined, [400, 'the connection was not found']],
    [{ ...request, connection: 'weibo' }, undefined, [400, 'the connection was disabled']],
    [{ ...request, connection: 'twitter' }, undefined, [400, 'missing access_token_secret parameter']],
    [{ ...request, access_token: 'bad' }, undefined, [401, 'invalid access_token: invalid_token']],
    [{ ...request, user_id: '999' }, undefined, [401, 'invalid access_token: invalid_token']],
  ])('refuses %j', async (input, clients, expected) => {
    const { deps, logins } = setup(clients ? { clients } : {});
    expect(await rejection(exchangeToken(input, deps, context))).toEqual(expected);
    expect(logins).toHaveLength(0);
  });
});
