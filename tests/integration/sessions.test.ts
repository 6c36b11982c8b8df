import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_ACCESS_TOKEN_GRANT } from '../../functions/core/errors.js';
import { REFRESH_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT } from '../../functions/core/grant-types.js';
import { FACEBOOK_TEST_TOKENS, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_TEST_TOKENS, GOOGLE_USERS } from '../../infra/local/emulators/google.js';
import { TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import { WEIBO_TEST_TOKENS } from '../../infra/local/emulators/weibo.js';
import { buildLocalTenant } from '../../infra/local/local-tenant.js';
import { runUsersCli } from '../../infra/local/users-cli.js';
import type { LocalStack } from '../../infra/local/stack.js';
import type { ClientConfig } from '../../functions/core/tenant.js';
import { postToken, startTestStack, type TokenCall } from '../support/stack.js';
import { postOAuthToken, TOKEN_EXCHANGE } from '../support/oauth-token.js';

// DESIGN section 11 through the local stack's HTTP routes: refresh tokens, rotation and
// reuse detection, POST /oauth/revoke, and the operators' block / delete / link / unlink.

const FB_ALICE = `facebook|${FACEBOOK_USERS.alice.id}`;
const FB_BOB = `facebook|${FACEBOOK_USERS.bob.id}`;
const G_BOB = `google-oauth2|${GOOGLE_USERS.bob.sub}`;
const WEIBO_LIN = `weibo|${WEIBO_TEST_TOKENS.lin.uid}`;
const ALL_GRANTS = [LEGACY_ACCESS_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT, REFRESH_TOKEN_GRANT];
const OFFLINE = 'openid profile offline_access';
const DAY = 86_400;

const client = (client_id: string, extra: Partial<ClientConfig> = {}): ClientConfig => ({
  client_id,
  grant_types: ALL_GRANTS,
  connections: ['facebook', 'google-oauth2', 'twitter', 'weibo'],
  id_token_lifetime: 36_000,
  link_by_verified_email: false,
  ...extra,
});

const claimsOf = (jwt: unknown) => JSON.parse(Buffer.from(String(jwt).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('sessions: refresh tokens, revocation, blocking', () => {
  let stack: LocalStack;
  // The injected clock of the token functions: tests move it forward to expire tokens.
  let offsetSeconds = 0;
  const cliTarget = () => ['--table', stack.tableName, '--endpoint', stack.dynamoEndpoint, '--region', 'us-east-1'];
  const users = async (...argv: string[]) => {
    const out: string[] = [];
    const code = await runUsersCli([...argv, ...cliTarget()], (line) => out.push(line), (line) => out.push(line), async () => false);
    return { code, out };
  };

  beforeAll(async () => {
    stack = await startTestStack({
      tenant: (endpoints) => {
        const tenant = buildLocalTenant(endpoints);
        return {
          ...tenant,
          clients: [
            ...tenant.clients,
            client('other-app'),
            client('no-refresh-app', { grant_types: [LEGACY_ACCESS_TOKEN_GRANT, TOKEN_EXCHANGE_GRANT] }),
            client('leeway-app', { refresh_token: { leeway: 30 } }),
            client('short-app', { refresh_token: { idle_lifetime: 60, absolute_lifetime: 150 } }),
          ],
        };
      },
    });
    const clock = { now: () => new Date(Date.now() + offsetSeconds * 1000) };
    stack.runtime!.oauthToken.clock = clock;
    stack.runtime!.exchange.clock = clock;
  });
  afterAll(() => stack?.stop());
  afterEach(() => {
    offsetSeconds = 0;
  });

  const login = async (fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const call = await postToken(stack, { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice, scope: OFFLINE, ...fields });
    expect(call.status, JSON.stringify(call.body)).toBe(200);
    return call.body;
  };
  const refresh = (refreshToken: unknown, extra: Record<string, unknown> = {}): Promise<TokenCall> =>
    postOAuthToken(stack, { grant_type: 'refresh_token', client_id: 'my-app', refresh_token: refreshToken, ...extra });
  const userinfo = async (accessToken: unknown) =>
    (await fetch(`${stack.url}/userinfo`, { headers: { authorization: `Bearer ${String(accessToken)}` } })).status;
  const revoke = async (fields: Record<string, unknown>, encoding: 'json' | 'form' = 'json') => {
    const response = await fetch(`${stack.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: encoding === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields as Record<string, string>).toString(),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? '' : (JSON.parse(text) as Record<string, unknown>) };
  };
  const invalidGrant = { error: 'invalid_grant', error_description: 'invalid refresh_token' };

  describe('issuing', () => {
    it('issues a refresh token at both endpoints with offline_access, only to clients with the grant', async () => {
      const legacy = await login();
      expect(legacy.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(legacy.refresh_token).not.toBe(legacy.access_token);

      const exchanged = await postOAuthToken(stack, {
        grant_type: TOKEN_EXCHANGE,
        client_id: 'my-app',
        subject_token: FACEBOOK_TEST_TOKENS.alice,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        connection: 'facebook',
        scope: OFFLINE,
      });
      expect(exchanged.status).toBe(200);
      expect(exchanged.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

      expect((await login({ scope: 'openid profile' })).refresh_token).toBeUndefined();
      expect((await login({ client_id: 'no-refresh-app' })).refresh_token).toBeUndefined();
    });
  });

  describe('refresh', () => {
    it('answers new tokens from DynamoDB alone and rotates the refresh token', async () => {
      const first = await login();
      const providerCalls = stack.emulators.facebook.calls.length;
      const { status, headers, body } = await refresh(first.refresh_token);
      expect(status).toBe(200);
      expect(headers.get('cache-control')).toBe('no-store');
      expect(body).toEqual({
        access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        token_type: 'Bearer',
        expires_in: 86_400,
        scope: OFFLINE,
        id_token: expect.any(String),
        refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect(body.refresh_token).not.toBe(first.refresh_token);
      expect(claimsOf(body.id_token)).toMatchObject({ sub: FB_ALICE, aud: 'my-app', iss: stack.issuer, name: FACEBOOK_USERS.alice.name });
      expect(stack.emulators.facebook.calls.length).toBe(providerCalls);
      expect(await userinfo(body.access_token)).toBe(200);

      const second = await refresh(body.refresh_token);
      expect(second.status).toBe(200);
    });

    it('revokes the whole family when a used token comes back: the newest child fails too, and its access tokens', async () => {
      const first = await login();
      const child = await refresh(first.refresh_token);
      expect(child.status).toBe(200);

      const reuse = await refresh(first.refresh_token);
      expect({ status: reuse.status, body: reuse.body }).toEqual({ status: 400, body: invalidGrant });
      const newest = await refresh(child.body.refresh_token);
      expect({ status: newest.status, body: newest.body }).toEqual({ status: 400, body: invalidGrant });
      expect(await userinfo(first.access_token)).toBe(401);
      expect(await userinfo(child.body.access_token)).toBe(401);
      // Another family of the same user is not touched.
      const other = await login();
      expect((await refresh(other.refresh_token)).status).toBe(200);
    });

    it('answers a reuse within the client leeway like a first use, and revokes the family after it', async () => {
      const first = await login({ client_id: 'leeway-app' });
      const leewayRefresh = (token: unknown) => refresh(token, { client_id: 'leeway-app' });
      const a = await leewayRefresh(first.refresh_token);
      const b = await leewayRefresh(first.refresh_token);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(b.body.refresh_token).not.toBe(a.body.refresh_token);
      expect((await leewayRefresh(b.body.refresh_token)).status).toBe(200);

      offsetSeconds = 31;
      const late = await leewayRefresh(first.refresh_token);
      expect({ status: late.status, body: late.body }).toEqual({ status: 400, body: invalidGrant });
      expect((await leewayRefresh(a.body.refresh_token)).status).toBe(400);
    });

    it('expires an idle token after the idle lifetime (default 15 days)', async () => {
      const first = await login();
      offsetSeconds = 15 * DAY + 5;
      const idle = await refresh(first.refresh_token);
      expect({ status: idle.status, body: idle.body }).toEqual({ status: 400, body: invalidGrant });
    });

    it('keeps a family alive with use, but never past its absolute lifetime from the first login', async () => {
      const first = await login({ client_id: 'short-app' });
      let token = first.refresh_token;
      for (const at of [50, 100, 145]) {
        offsetSeconds = at;
        const next = await refresh(token, { client_id: 'short-app' });
        expect(next.status, `refresh at +${at} s`).toBe(200);
        token = next.body.refresh_token;
      }
      offsetSeconds = 151;
      const expired = await refresh(token, { client_id: 'short-app' });
      expect({ status: expired.status, body: expired.body }).toEqual({ status: 400, body: invalidGrant });
      // Idle expiry too: a fresh family left unused for over 60 s.
      offsetSeconds = 0;
      const idle = await login({ client_id: 'short-app' });
      offsetSeconds = 61;
      expect((await refresh(idle.refresh_token, { client_id: 'short-app' })).status).toBe(400);
    });

    it('narrows the scope of the new tokens, not of the family; a wider scope is invalid_scope and uses nothing', async () => {
      const first = await login({ scope: 'openid profile email offline_access' });
      const wider = await refresh(first.refresh_token, { scope: 'openid profile email phone' });
      expect(wider.status).toBe(400);
      expect(wider.body).toEqual({ error: 'invalid_scope', error_description: expect.stringContaining('"phone"') });

      const narrow = await refresh(first.refresh_token, { scope: 'openid' });
      expect(narrow.status).toBe(200);
      expect(narrow.body.scope).toBe('openid');
      expect(claimsOf(narrow.body.id_token).name).toBeUndefined();
      const me = await fetch(`${stack.url}/userinfo`, { headers: { authorization: `Bearer ${String(narrow.body.access_token)}` } });
      expect(await me.json()).toEqual({ sub: FB_ALICE });

      const noIdToken = await refresh(narrow.body.refresh_token, { scope: 'profile' });
      expect(noIdToken.status).toBe(200);
      expect(noIdToken.body.id_token).toBeUndefined();

      const full = await refresh(noIdToken.body.refresh_token);
      expect(full.body.scope).toBe('openid profile email offline_access');
      expect(claimsOf(full.body.id_token).name).toBe(FACEBOOK_USERS.alice.name);
    });

    it("refuses another client's refresh token without spending it", async () => {
      const first = await login();
      const stolen = await refresh(first.refresh_token, { client_id: 'other-app' });
      expect({ status: stolen.status, body: stolen.body }).toEqual({ status: 400, body: invalidGrant });
      expect((await refresh(first.refresh_token)).status).toBe(200);
    });

    it.each([
      [{ grant_type: 'refresh_token' }, 400, 'invalid_request', 'missing client_id parameter'],
      [{ grant_type: 'refresh_token', client_id: 'my-app' }, 400, 'invalid_request', 'missing refresh_token parameter'],
      [{ grant_type: 'refresh_token', client_id: 'nobody', refresh_token: 'x' }, 401, 'invalid_client', 'invalid client'],
      [{ grant_type: 'refresh_token', client_id: 'app-without-legacy-grant', refresh_token: 'x' }, 400, 'unauthorized_client', "Grant type 'refresh_token' not allowed for the client."],
      [{ grant_type: 'refresh_token', client_id: 'my-app', refresh_token: 'not-a-token' }, 400, 'invalid_grant', 'invalid refresh_token'],
    ])('%j → %i %s', async (fields, status, error, description) => {
      const call = await postOAuthToken(stack, fields, 'form');
      expect({ status: call.status, body: call.body }).toEqual({ status, body: { error, error_description: description } });
    });

    it('leaves no live child when a refresh dies after its first step; only a leeway lets the retry through', async () => {
      // Step one of a refresh, as a function that then crashed would have left it: the token spent, no child.
      const spend = async (token: unknown, clientId: string) => {
        const use = await stack.runtime!.oauthToken.refreshTokens.use({
          tokenHash: createHash('sha256').update(String(token)).digest('base64url'),
          clientId,
          now: Math.floor(Date.now() / 1000),
          rotationId: 'crashed-rotation',
        });
        expect(use?.rotated).toBe(true);
      };
      const strict = await login();
      await spend(strict.refresh_token, 'my-app');
      expect((await refresh(strict.refresh_token)).status).toBe(400);
      // The retry counted as reuse: the family ended, its first access token with it.
      expect(await userinfo(strict.access_token)).toBe(401);

      const lenient = await login({ client_id: 'leeway-app' });
      await spend(lenient.refresh_token, 'leeway-app');
      const retried = await refresh(lenient.refresh_token, { client_id: 'leeway-app' });
      expect(retried.status).toBe(200);
      expect((await refresh(retried.body.refresh_token, { client_id: 'leeway-app' })).status).toBe(200);
    });

    it('gives exactly one of 20 concurrent refreshes of one token a 200', async () => {
      const first = await login();
      const calls = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refresh_token)));
      const statuses = calls.map((call) => call.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 400)).toHaveLength(19);
      for (const call of calls.filter((c) => c.status === 400)) expect(call.body).toEqual(invalidGrant);
    });
  });

  describe('POST /oauth/revoke', () => {
    it.each(['json', 'form'] as const)('revokes the family and its access tokens, the first one included (%s)', async (encoding) => {
      const first = await login();
      const child = await refresh(first.refresh_token);
      const revoked = await revoke({ client_id: 'my-app', token: child.body.refresh_token as string }, encoding);
      expect(revoked).toEqual({ status: 200, body: '' });
      expect((await refresh(child.body.refresh_token)).status).toBe(400);
      expect(await userinfo(first.access_token)).toBe(401);
      expect(await userinfo(child.body.access_token)).toBe(401);
      // Again, and for a token that never existed: RFC 7009 section 2.2 answers 200 alike.
      expect(await revoke({ client_id: 'my-app', token: child.body.refresh_token as string }, encoding)).toEqual({ status: 200, body: '' });
      expect(await revoke({ client_id: 'my-app', token: 'no-such-token' }, encoding)).toEqual({ status: 200, body: '' });
    });

    it('leaves access tokens issued without a family alone', async () => {
      const plain = await login({ scope: 'openid' });
      expect(await userinfo(plain.access_token)).toBe(200);
    });

    it.each([
      [{ token: 'x' }, 400, 'invalid_request', 'missing client_id parameter'],
      [{ client_id: 'my-app' }, 400, 'invalid_request', 'missing token parameter'],
      [{ client_id: 'nobody', token: 'x' }, 401, 'invalid_client', 'invalid client'],
    ])('%j → %i %s', async (fields, status, error, description) => {
      expect(await revoke(fields)).toEqual({ status, body: { error, error_description: description } });
    });

    it("refuses to revoke another client's token, which keeps working", async () => {
      const first = await login();
      expect(await revoke({ client_id: 'other-app', token: first.refresh_token as string })).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: 'the token was issued to another client' },
      });
      expect((await refresh(first.refresh_token)).status).toBe(200);
    });
  });

  describe('operators', () => {
    const blocked = { error: 'unauthorized', error_description: 'user is blocked' };

    it('blocks a user at both endpoints, at refresh and at /userinfo; unblock restores the unrevoked tokens', async () => {
      const lin = { client_id: 'my-app', connection: 'weibo', access_token: WEIBO_TEST_TOKENS.lin.token, scope: OFFLINE };
      const first = (await postToken(stack, lin)).body;
      expect((await users('block', WEIBO_LIN)).code).toBe(0);

      const legacy = await postToken(stack, lin);
      expect({ status: legacy.status, body: legacy.body }).toEqual({ status: 401, body: blocked });
      const exchange = await postOAuthToken(stack, {
        grant_type: TOKEN_EXCHANGE,
        client_id: 'my-app',
        subject_token: WEIBO_TEST_TOKENS.lin.token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        connection: 'weibo',
      });
      expect({ status: exchange.status, body: exchange.body }).toEqual({ status: 401, body: blocked });
      const refreshed = await refresh(first.refresh_token);
      expect({ status: refreshed.status, body: refreshed.body }).toEqual({ status: 401, body: blocked });
      const me = await fetch(`${stack.url}/userinfo`, { headers: { authorization: `Bearer ${String(first.access_token)}` } });
      expect(me.status).toBe(401);
      expect(((await me.json()) as { error: string }).error).toBe('invalid_token');
      expect((await users('get', WEIBO_LIN)).out).toContain('blocked      yes');

      expect((await users('unblock', WEIBO_LIN)).code).toBe(0);
      expect(await userinfo(first.access_token)).toBe(200);
      expect((await refresh(first.refresh_token)).status).toBe(200);
      expect((await postToken(stack, lin)).status).toBe(200);
    });

    it('lists sessions and ends them', async () => {
      const ada = { client_id: 'my-app', connection: 'twitter', access_token: TWITTER_TEST_TOKENS.ada.token, access_token_secret: TWITTER_TEST_TOKENS.ada.secret, scope: OFFLINE };
      const one = (await postToken(stack, ada)).body;
      const two = (await postToken(stack, ada)).body;
      const adaId = `twitter|${TWITTER_TEST_TOKENS.ada.userId}`;
      const listed = await users('sessions', adaId, '--json');
      const sessions = listed.out.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(sessions).toHaveLength(2);
      expect(sessions[0]).toMatchObject({ client_id: 'my-app', identity: adaId, scope: OFFLINE, state: 'active' });

      expect(await users('revoke-sessions', adaId)).toEqual({ code: 0, out: [`ended 2 sessions of ${adaId}`] });
      expect((await refresh(one.refresh_token)).status).toBe(400);
      expect((await refresh(two.refresh_token)).status).toBe(400);
      expect(await userinfo(one.access_token)).toBe(401);
      const after = (await users('sessions', adaId, '--json')).out.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(after.map((session) => session.state)).toEqual(['revoked', 'revoked']);
    });

    it('ends the secondary sessions at link, the unlinked identity sessions at unlink, and everything at delete', async () => {
      const fbBob = { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.bobNoEmail, scope: OFFLINE };
      const gBob = { client_id: 'my-app', connection: 'google-oauth2', access_token: GOOGLE_TEST_TOKENS.bobNoEmail, scope: OFFLINE };
      const beforeLink = (await postToken(stack, fbBob)).body;
      const primary = (await postToken(stack, gBob)).body;

      expect((await users('link', G_BOB, FB_BOB)).code).toBe(0);
      expect((await refresh(beforeLink.refresh_token)).status).toBe(400);
      expect((await refresh(primary.refresh_token)).status).toBe(200);

      // Logging in through the linked identity starts a family of the primary.
      const throughLink = (await postToken(stack, fbBob)).body;
      const linkedRefresh = await refresh(throughLink.refresh_token);
      expect(linkedRefresh.status).toBe(200);
      expect(claimsOf(linkedRefresh.body.id_token).sub).toBe(G_BOB);
      const ownFamily = (await postToken(stack, gBob)).body;

      expect((await users('unlink', G_BOB, FB_BOB)).code).toBe(0);
      expect((await refresh(linkedRefresh.body.refresh_token)).status).toBe(400);
      const own = await refresh(ownFamily.refresh_token);
      expect(own.status).toBe(200);

      // delete asks first; without a yes nothing happens.
      expect(await users('delete', G_BOB)).toEqual({ code: 1, out: ['not deleted (confirm, or pass --yes)'] });
      expect((await refresh(own.body.refresh_token)).status).toBe(200);
      const latest = await refresh((await postToken(stack, gBob)).body.refresh_token);
      const deleted = await users('delete', G_BOB, '--yes');
      expect(deleted.code).toBe(0);
      expect(deleted.out[0]).toMatch(new RegExp(`^deleted ${G_BOB.replace('|', '\\|')}: 1 identity \\(${G_BOB.replace('|', '\\|')}\\), \\d+ access tokens?, \\d+ refresh tokens?, \\d+ sessions?$`));
      expect((await refresh(latest.body.refresh_token)).status).toBe(400);
      expect(await userinfo(latest.body.access_token)).toBe(401);
    });
  });
});
