import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_ACCESS_TOKEN_GRANT } from '../../../functions/core/errors.js';
import { FACEBOOK_APP, FACEBOOK_TEST_TOKENS, FACEBOOK_USERS, type FacebookTokenGrant } from '../../../infra/local/emulators/facebook.js';
import { buildLocalTenant } from '../../../infra/local/local-tenant.js';
import type { LocalStack } from '../../../infra/local/stack.js';
import { startTestStack } from '../../support/stack.js';

const SECRET = 'origin-verify-secret-for-tests';
const LIMIT = 5;

/** 100 distinct users, so the sign-ins do not all update one user item. */
const users: Record<string, FacebookTokenGrant> = Object.fromEntries(
  Array.from({ length: 100 }, (_, i) => [
    `fb-nat-user-${i}`,
    {
      app: FACEBOOK_APP,
      profile: { ...FACEBOOK_USERS.bob, id: String(30_000_000_000_000_000n + BigInt(i)), name: `NAT User ${i}` },
      type: 'USER',
      expiresIn: 3_600,
      state: 'active',
      scopes: ['public_profile'],
    } satisfies FacebookTokenGrant,
  ]),
);

let stack: LocalStack;
beforeAll(async () => {
  // As behind CloudFront: the viewer's address is read from CloudFront-Viewer-Address.
  stack = await startTestStack({
    originVerifySecret: SECRET,
    facebookTokens: users,
    // The stack, the emulators and the clients share one event loop here.
    providerTimeoutMs: 10_000,
    tenant: (endpoints) => {
      const base = buildLocalTenant(endpoints);
      const client = (client_id: string, rate_limits: Record<string, number>) => ({
        client_id,
        grant_types: [LEGACY_ACCESS_TOKEN_GRANT],
        connections: ['facebook', 'google-oauth2'],
        id_token_lifetime: 36000,
        link_by_verified_email: false as const,
        rate_limits,
      });
      return {
        ...base,
        clients: [
          ...base.clients.map((c) => (c.client_id === 'my-app' ? { ...c, rate_limits: { per_ip_failures_per_minute: LIMIT } } : c)),
          client('second-app', {}),
          client('capped-app', { per_client_per_second: 3, per_ip_failures_per_minute: 0 }),
        ],
      };
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const exchange = (fields: Record<string, string>, viewerIp: string, headers: Record<string, string> = { 'x-origin-verify': SECRET }) =>
  fetch(`${stack.url}/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cloudfront-viewer-address': `${viewerIp}:50123`, ...headers },
    body: JSON.stringify(fields),
  });

const junk = (client_id = 'my-app', n = 0) => ({ client_id, connection: 'facebook', access_token: `fb-junk-${n}` });
const valid = (client_id = 'my-app') => ({ client_id, connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice });

/** Keeps a test's requests inside one minute window of the per-IP count. */
const awayFromMinuteEnd = async () => {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
};

const graphCalls = () => stack.emulators.facebook.calls.length;

describe('per client and source IP, failed verifications are limited', () => {
  it('a junk-token flood from one IP reaches the provider at most the limit\'s worth of times', async () => {
    await awayFromMinuteEnd();
    const before = graphCalls();
    const flood = await Promise.all(Array.from({ length: 40 }, (_, n) => exchange(junk('my-app', n), '198.51.100.7')));
    // Facebook verification is two Graph calls (debug_token and /me).
    expect(graphCalls() - before).toBeLessThanOrEqual(2 * LIMIT);
    const statuses = flood.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40 - LIMIT);

    const limited = flood.find((response) => response.status === 429)!;
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    expect(await limited.json()).toEqual({ error: 'too_many_requests', error_description: expect.any(String) });

    // Blocked until the minute ends, valid tokens included, and with no provider call.
    const mid = graphCalls();
    expect((await exchange(valid(), '198.51.100.7')).status).toBe(429);
    expect(graphCalls()).toBe(mid);

    // Another IP of the same client and the same IP for another client are unaffected.
    expect((await exchange(junk('my-app', 99), '198.51.100.8')).status).toBe(401);
    expect((await exchange(valid(), '198.51.100.8')).status).toBe(200);
    expect((await exchange(junk('second-app', 99), '198.51.100.7')).status).toBe(401);
    expect((await exchange(valid('second-app'), '198.51.100.7')).status).toBe(200);
  });

  it('an IPv6 viewer is counted by its address', async () => {
    await awayFromMinuteEnd();
    const ip = '2001:db8::17';
    for (let n = 0; n < LIMIT; n += 1) expect((await exchange(junk('my-app', n), ip)).status).toBe(401);
    expect((await exchange(junk('my-app', LIMIT), ip)).status).toBe(429);
    expect((await exchange(junk('my-app', 0), '2001:db8::18')).status).toBe(401);
  });

  it('100 valid sign-ins from one IP are never limited', async () => {
    const results: number[] = [];
    const queue = Array.from({ length: 100 }, (_, n) => n);
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
          results.push((await exchange({ ...valid(), access_token: `fb-nat-user-${n}` }, '192.0.2.50')).status);
        }
      }),
    );
    expect(results).toHaveLength(100);
    expect(results.filter((status) => status !== 200)).toEqual([]);
  });
});

describe('per-client cap on all provider-calling requests', () => {
  it('refuses what is over the cap in one second, before calling the provider', async () => {
    const before = graphCalls();
    const burst = await Promise.all(Array.from({ length: 12 }, (_, n) => exchange(valid('capped-app'), `192.0.2.${100 + n}`)));
    const ok = burst.filter((response) => response.status === 200).length;
    const limited = burst.filter((response) => response.status === 429);
    expect(ok).toBeGreaterThanOrEqual(3);
    // The burst may straddle two seconds.
    expect(ok).toBeLessThanOrEqual(6);
    expect(limited.length).toBe(12 - ok);
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    expect(graphCalls() - before).toBe(2 * ok);
  });
});

describe('origin verify', () => {
  it('refuses requests that did not come through CloudFront, on every route', async () => {
    for (const headers of [{}, { 'x-origin-verify': 'wrong' }] as Array<Record<string, string>>) {
      const response = await exchange(valid(), '198.51.100.9', headers);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'access_denied', error_description: expect.any(String) });
      expect((await fetch(`${stack.url}/.well-known/jwks.json`, { headers })).status).toBe(403);
      expect((await fetch(`${stack.url}/userinfo`, { method: 'OPTIONS', headers })).status).toBe(403);
    }
    expect((await fetch(`${stack.url}/.well-known/jwks.json`, { headers: { 'x-origin-verify': SECRET } })).status).toBe(200);
  });
});

describe('POST /oauth/token shares the count with the legacy endpoint', () => {
  const tokenExchange = (subject_token: string, viewerIp: string) =>
    fetch(`${stack.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cloudfront-viewer-address': `${viewerIp}:50123`, 'x-origin-verify': SECRET },
      body: JSON.stringify({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: 'my-app',
        connection: 'facebook',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token,
      }),
    });

  // Each function learns of a block from its own failure writes (DESIGN section 12 allows one
  // extra call per container): the other endpoint may let one more request through, not two.
  it('junk access tokens at /oauth/token count: it refuses at once, the legacy endpoint after at most one more call', async () => {
    await awayFromMinuteEnd();
    const ip = '198.51.100.77';
    for (let i = 0; i < LIMIT; i += 1) expect((await tokenExchange(`fb-junk-te-${i}`, ip)).status).toBe(400);
    const before = graphCalls();
    const exchanged = await tokenExchange(FACEBOOK_TEST_TOKENS.alice, ip);
    expect(exchanged.status).toBe(429);
    expect(Number(exchanged.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await exchanged.json()).toMatchObject({ error: 'too_many_requests' });
    expect(graphCalls()).toBe(before);
    const first = await exchange(junk('my-app', 900), ip);
    expect([401, 429]).toContain(first.status);
    expect((await exchange(junk('my-app', 901), ip)).status).toBe(429);
    // debug_token and /me: two Graph calls for the one request that may have got through.
    expect(graphCalls() - before).toBeLessThanOrEqual(2);
  });

  it('failures at the legacy endpoint limit /oauth/token for that IP only', async () => {
    await awayFromMinuteEnd();
    const ip = '198.51.100.78';
    for (let i = 0; i < LIMIT; i += 1) expect((await exchange(junk('my-app', 910 + i), ip)).status).toBe(401);
    const first = await tokenExchange('fb-junk-te-legacy', ip);
    expect([400, 429]).toContain(first.status);
    expect((await tokenExchange(FACEBOOK_TEST_TOKENS.alice, ip)).status).toBe(429);
    expect((await tokenExchange(FACEBOOK_TEST_TOKENS.alice, '198.51.100.79')).status).toBe(200);
  });
});
