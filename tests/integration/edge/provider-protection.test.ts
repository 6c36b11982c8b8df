import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setLogSink } from '../../../functions/core/logger.js';
import { FACEBOOK_TEST_TOKENS, OTHER_FACEBOOK_APP } from '../../../infra/local/emulators/facebook.js';
import { GOOGLE_TEST_TOKENS } from '../../../infra/local/emulators/google.js';
import { TWITTER_TEST_TOKENS } from '../../../infra/local/emulators/twitter.js';
import { WEIBO_TEST_TOKENS } from '../../../infra/local/emulators/weibo.js';
import { buildLocalTenant } from '../../../infra/local/local-tenant.js';
import type { LocalStack } from '../../../infra/local/stack.js';
import { postToken, startTestStack } from '../../support/stack.js';

/**
 * DESIGN section 12, provider protection. One stack: the circuits are per connection and
 * live as long as the stack, so the tests that open one come last, on the connection they own.
 */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({
    tenant: (endpoints) => {
      const base = buildLocalTenant(endpoints);
      const facebook = base.connections.find((connection) => connection.name === 'facebook')!;
      return {
        clients: base.clients.map((client) =>
          client.client_id === 'my-app' ? { ...client, connections: [...client.connections, 'facebook-misconfigured'] } : client,
        ),
        connections: [
          ...base.connections,
          // An operator pasted another app's secret: Graph refuses our app token itself.
          { ...facebook, name: 'facebook-misconfigured', options: { ...facebook.options, client_secret: OTHER_FACEBOOK_APP.client_secret } },
        ],
      };
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => {
  for (const emulator of Object.values(stack.emulators)) emulator.setFault(null);
});

const REQUESTS = {
  facebook: { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice },
  google: { client_id: 'my-app', connection: 'google-oauth2', access_token: GOOGLE_TEST_TOKENS.alice },
  twitter: { client_id: 'my-app', connection: 'twitter', access_token: TWITTER_TEST_TOKENS.ada.token, access_token_secret: TWITTER_TEST_TOKENS.ada.secret },
  weibo: { client_id: 'my-app', connection: 'weibo', access_token: WEIBO_TEST_TOKENS.lin.token },
} as const;

const expectThrottled = (response: Awaited<ReturnType<typeof postToken>>, maxWait: number) => {
  expect(response.status).toBe(503);
  expect(response.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
  const wait = Number(response.headers.get('retry-after'));
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(maxWait);
};

describe('per-user limits answer that request only', () => {
  it('a Graph code-17 answer is a 503 with Retry-After and opens no circuit', async () => {
    stack.emulators.facebook.setFault({ kind: 'rate-limit', scope: 'user' }, 2);
    expectThrottled(await postToken(stack, REQUESTS.facebook), 30);
    const calls = stack.emulators.facebook.calls.length;
    expect((await postToken(stack, REQUESTS.facebook)).status).toBe(200);
    expect(stack.emulators.facebook.calls.length).toBe(calls + 2);
  });

  it("X's per-user 429 is called once, answered 503 with Retry-After, and opens no circuit", async () => {
    stack.emulators.twitter.setFault({ kind: 'rate-limit', scope: 'user' }, 1);
    const before = stack.emulators.twitter.calls.length;
    expectThrottled(await postToken(stack, REQUESTS.twitter), 60);
    expect(stack.emulators.twitter.calls.length).toBe(before + 1);
    expect((await postToken(stack, REQUESTS.twitter)).status).toBe(200);
  });
});

describe('facebook app tokens', () => {
  it("another app's APP token (no user_id) is a 401, not a 503", async () => {
    const response = await postToken(stack, { ...REQUESTS.facebook, access_token: FACEBOOK_TEST_TOKENS.otherAppsAppToken });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: 'invalid access_token: invalid_token' });
  });

  it('Graph refusing our own app token is a 503 with its own metric, for a valid user token too', async () => {
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    let response;
    try {
      response = await postToken(stack, { ...REQUESTS.facebook, connection: 'facebook-misconfigured' });
    } finally {
      setLogSink(previous);
    }
    expect(response.status).toBe(503);
    expect(response.body.error).toBe('temporarily_unavailable');
    const metric = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((record) => 'ProviderCredentialsRejected' in record);
    expect(metric).toMatchObject({ ProviderCredentialsRejected: 1, _aws: { CloudWatchMetrics: [{ Dimensions: [[]], Metrics: [{ Name: 'ProviderCredentialsRejected' }] }] } });
  });
});

describe('app-wide limits open the connection circuit', () => {
  it('Google 429 is called once per endpoint, not retried, and stops further calls', async () => {
    stack.emulators.google.setFault({ kind: 'rate-limit', scope: 'app' });
    const before = stack.emulators.google.calls.length;
    expectThrottled(await postToken(stack, REQUESTS.google), 20);
    // tokeninfo and userinfo run in parallel: one call each, no retry.
    expect(stack.emulators.google.calls.length).toBe(before + 2);

    stack.emulators.google.setFault(null);
    expectThrottled(await postToken(stack, REQUESTS.google), 20);
    expect(stack.emulators.google.calls.length).toBe(before + 2);
  });

  it('after a Graph code-4 answer the next requests get 503 quickly with no Graph call; other connections sign in', async () => {
    stack.emulators.facebook.setFault({ kind: 'rate-limit', scope: 'app' }, 2);
    expectThrottled(await postToken(stack, REQUESTS.facebook), 30);
    const calls = stack.emulators.facebook.calls.length;
    for (let n = 0; n < 5; n += 1) {
      const started = performance.now();
      const response = await postToken(stack, REQUESTS.facebook);
      expectThrottled(response, 30);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    expect(stack.emulators.facebook.calls.length).toBe(calls);
    expect((await postToken(stack, REQUESTS.weibo)).status).toBe(200);
    expect((await postToken(stack, REQUESTS.twitter)).status).toBe(200);
  });
});
