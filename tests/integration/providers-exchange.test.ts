import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { FACEBOOK_TEST_TOKENS, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_TEST_TOKENS, GOOGLE_USERS } from '../../infra/local/emulators/google.js';
import { TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import { WEIBO_TEST_TOKENS } from '../../infra/local/emulators/weibo.js';
import type { EmulatorHandle } from '../../infra/local/emulators/server.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

/**
 * Each provider through the real exchange route of a local stack: the outcome a client
 * sees for valid tokens, tokens of another app, expired tokens and provider failures.
 */
type ProviderCase = {
  connection: string;
  emulator: keyof LocalStack['emulators'];
  valid: Record<string, string>;
  sub: string;
  claims: Record<string, unknown>;
  otherApp: Record<string, string>;
  expired: Record<string, string>;
  /** Provider calls per exchange, and whether they overlap. */
  calls: number;
  parallel: boolean;
};

const cases: ProviderCase[] = [
  {
    connection: 'facebook',
    emulator: 'facebook',
    valid: { access_token: FACEBOOK_TEST_TOKENS.alice },
    sub: `facebook|${FACEBOOK_USERS.alice.id}`,
    claims: { name: FACEBOOK_USERS.alice.name, given_name: 'Alice', family_name: 'Liddell', email: FACEBOOK_USERS.alice.email, email_verified: false },
    otherApp: { access_token: FACEBOOK_TEST_TOKENS.otherApp },
    expired: { access_token: FACEBOOK_TEST_TOKENS.expired },
    calls: 2,
    parallel: true,
  },
  {
    connection: 'google-oauth2',
    emulator: 'google',
    valid: { access_token: GOOGLE_TEST_TOKENS.alice },
    sub: `google-oauth2|${GOOGLE_USERS.alice.sub}`,
    claims: { name: GOOGLE_USERS.alice.name, email: GOOGLE_USERS.alice.email, email_verified: true, locale: 'en' },
    otherApp: { access_token: GOOGLE_TEST_TOKENS.otherApp },
    expired: { access_token: GOOGLE_TEST_TOKENS.expired },
    calls: 2,
    parallel: true,
  },
  {
    connection: 'twitter',
    emulator: 'twitter',
    valid: { access_token: TWITTER_TEST_TOKENS.ada.token, access_token_secret: TWITTER_TEST_TOKENS.ada.secret },
    sub: `twitter|${TWITTER_TEST_TOKENS.ada.userId}`,
    claims: { name: 'Ada Lovelace', nickname: 'ada_emu', email: 'ada@example.com', email_verified: true },
    otherApp: { access_token: TWITTER_TEST_TOKENS.otherApp.token, access_token_secret: TWITTER_TEST_TOKENS.otherApp.secret },
    expired: { access_token: TWITTER_TEST_TOKENS.revoked.token, access_token_secret: TWITTER_TEST_TOKENS.revoked.secret },
    calls: 1,
    parallel: false,
  },
  {
    connection: 'weibo',
    emulator: 'weibo',
    valid: { access_token: WEIBO_TEST_TOKENS.lin.token },
    sub: `weibo|${WEIBO_TEST_TOKENS.lin.uid}`,
    claims: { nickname: expect.any(String), picture: expect.stringMatching(/^https:/) },
    otherApp: { access_token: WEIBO_TEST_TOKENS.otherApp.token },
    expired: { access_token: WEIBO_TEST_TOKENS.expired.token },
    calls: 2,
    parallel: false,
  },
];

const PROVIDER_TIMEOUT_MS = 1_000;

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({ providerTimeoutMs: PROVIDER_TIMEOUT_MS });
});
afterAll(() => stack?.stop());

describe.each(cases)('$connection through POST /oauth/access_token', (provider) => {
  let emulator: EmulatorHandle;
  const exchange = (fields: Record<string, string>) =>
    postToken(stack, { client_id: 'my-app', connection: provider.connection, scope: 'openid profile email', ...fields });

  beforeEach(() => {
    emulator = stack.emulators[provider.emulator];
    emulator.setFault(null);
    emulator.setDelay(0);
    emulator.calls.length = 0;
  });

  it('answers a valid token with the right sub and claims', async () => {
    const { status, body } = await exchange(provider.valid);
    expect(status).toBe(200);
    const claims = decodeJwt(body.id_token as string);
    expect(claims.sub).toBe(provider.sub);
    expect(claims).toMatchObject(provider.claims);
    if (provider.connection === 'weibo') expect(claims.email).toBeUndefined();
  });

  it(`makes ${provider.calls} provider call(s) per exchange${provider.parallel ? ', in parallel' : ''}`, async () => {
    await exchange(provider.valid); // warm the tenant cache and the signing key
    emulator.calls.length = 0;
    emulator.setDelay(150);
    const started = Date.now();
    expect((await exchange(provider.valid)).status).toBe(200);
    const elapsed = Date.now() - started;
    expect(emulator.calls).toHaveLength(provider.calls);
    if (provider.parallel) {
      // Both calls arrive before either could have been answered.
      expect(Math.abs(emulator.calls[0]!.at - emulator.calls[1]!.at)).toBeLessThan(100);
      expect(elapsed).toBeLessThan(150 * 2);
    } else if (provider.calls === 2) {
      expect(emulator.calls[1]!.at - emulator.calls[0]!.at).toBeGreaterThanOrEqual(140);
    }
  });

  it('refuses a token issued to another app with 401', async () => {
    expect(await exchange(provider.otherApp)).toMatchObject({
      status: 401,
      body: { error: 'invalid_request', error_description: 'invalid access_token: invalid_token' },
    });
  });

  it('refuses an expired or revoked token with 401', async () => {
    expect((await exchange(provider.expired)).status).toBe(401);
  });

  it('answers 503 when the provider keeps failing with 500, after bounded retries', async () => {
    emulator.setFault({ kind: 'status', status: 500 });
    const { status, body } = await exchange(provider.valid);
    expect(status).toBe(503);
    expect(body.error).toBe('temporarily_unavailable');
    // 3 attempts of the first call at most (then 3 of its sibling when parallel).
    expect(emulator.calls.length).toBeGreaterThanOrEqual(3);
    expect(emulator.calls.length).toBeLessThanOrEqual(provider.parallel ? 6 : 3);
  });

  it('answers 503 within the timeout budget when the provider hangs', async () => {
    emulator.setFault({ kind: 'hang' });
    const started = Date.now();
    const { status } = await exchange(provider.valid);
    const elapsed = Date.now() - started;
    expect(status).toBe(503);
    expect(elapsed).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS - 50);
    // Timeouts are not retried: one timeout, plus scheduling slack on a busy machine.
    expect(elapsed).toBeLessThan(PROVIDER_TIMEOUT_MS * 2.5);
  });

  it('answers 503 to a malformed provider answer', async () => {
    emulator.setFault({ kind: 'garbage' });
    const { status, body } = await exchange(provider.valid);
    expect(status).toBe(503);
    expect(body.error).toBe('temporarily_unavailable');
  });
});
