import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../../functions/core/errors.js';
import { appsecretProof, facebook } from '../../../functions/providers/facebook.js';
import { createProviderHttp } from '../../../functions/providers/http.js';
import type { ConnectionOptions, ProviderContext } from '../../../functions/providers/types.js';
import {
  FACEBOOK_APP,
  FACEBOOK_TEST_TOKENS,
  FACEBOOK_USERS,
  OTHER_FACEBOOK_APP,
  startFacebookEmulator,
  type FacebookEmulatorHandle,
} from '../../../infra/local/emulators/facebook.js';

const MISMATCHED_USER_TOKEN = 'fb-debug-token-names-bob';
const DAY_MS = 86_400_000;

let emulator: FacebookEmulatorHandle;
let options: ConnectionOptions;

const contextWith = (overrides: { timeoutMs?: number; now?: () => number } = {}): ProviderContext => ({
  http: createProviderHttp({ timeoutMs: overrides.timeoutMs ?? 2_000 }),
  now: overrides.now ?? (() => Date.now()),
});

const verify = (accessToken: string, context = contextWith(), connection = options) =>
  facebook.verify({ accessToken }, connection, context);

/** The rejection of `promise`, checked to be an OAuthError that does not echo the token. */
const rejectionOf = async (promise: Promise<unknown>, token: string): Promise<OAuthError> => {
  const error = await promise.then(
    () => {
      throw new Error('expected the verification to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(OAuthError);
  const oauthError = error as OAuthError;
  expect(oauthError.message).not.toContain(token);
  expect(JSON.stringify(oauthError)).not.toContain(token);
  return oauthError;
};

const callsTo = (path: string) => emulator.calls.filter((call) => call.path === path).length;

beforeAll(async () => {
  emulator = await startFacebookEmulator({
    tokens: {
      [MISMATCHED_USER_TOKEN]: {
        app: FACEBOOK_APP,
        profile: FACEBOOK_USERS.alice,
        type: 'USER',
        expiresIn: 3_600,
        state: 'active',
        scopes: ['public_profile'],
        debugUserId: FACEBOOK_USERS.bob.id,
      },
    },
  });
  options = { ...FACEBOOK_APP, endpoints: emulator.endpoints };
});

afterEach(() => {
  emulator.setFault(null);
  emulator.setDelay(0);
  emulator.calls.length = 0;
});

afterAll(() => emulator.close());

describe('facebook adapter: accepted tokens', () => {
  it('maps a valid token to the profile, with the email marked unverified', async () => {
    const profile = await verify(FACEBOOK_TEST_TOKENS.alice);

    expect(profile).toEqual({
      provider: 'facebook',
      provider_user_id: '10224567890123456',
      claims: {
        name: 'Alice Liddell',
        given_name: 'Alice',
        family_name: 'Liddell',
        picture: FACEBOOK_USERS.alice.picture.data.url,
        email: 'alice.liddell@example.com',
        email_verified: false,
      },
    });
  });

  it('keeps ids beyond 2^53 exact (they are strings end to end)', async () => {
    const profile = await verify(FACEBOOK_TEST_TOKENS.alice);
    expect(BigInt(profile.provider_user_id)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('accepts a user without email and leaves both email claims out', async () => {
    const profile = await verify(FACEBOOK_TEST_TOKENS.bobNoEmail);

    expect(profile.provider_user_id).toBe(FACEBOOK_USERS.bob.id);
    expect(profile.claims).toEqual({
      name: 'Bob Marley',
      given_name: 'Bob',
      family_name: 'Marley',
      picture: FACEBOOK_USERS.bob.picture.data.url,
    });
  });

  it('accepts a token debug_token reports as never expiring (expires_at 0)', async () => {
    const profile = await verify(FACEBOOK_TEST_TOKENS.aliceNeverExpires);
    expect(profile.provider_user_id).toBe(FACEBOOK_USERS.alice.id);
  });
});

describe('facebook adapter: rejected tokens → 401', () => {
  it.each([
    ['issued to another app', FACEBOOK_TEST_TOKENS.otherApp, 'facebook_app_mismatch'],
    ['expired', FACEBOOK_TEST_TOKENS.expired, 'expired'],
    ['revoked (app removed by the user)', FACEBOOK_TEST_TOKENS.revoked, 'revoked'],
    ['a page token', FACEBOOK_TEST_TOKENS.page, 'facebook_not_user_token'],
    ['unknown to Facebook', FACEBOOK_TEST_TOKENS.unknown, 'invalid_token'],
    ['named like an Object.prototype key', '__proto__', 'invalid_token'],
    ['one whose debug_token user differs from /me', MISMATCHED_USER_TOKEN, 'facebook_user_mismatch'],
  ])('refuses a token %s', async (_case, token, reason) => {
    const error = await rejectionOf(verify(token), token);

    expect(error.status).toBe(401);
    expect(error.toJSON()).toEqual({ error: 'invalid_request', error_description: 'invalid access_token: invalid_token' });
    expect(error.reason).toBe(reason);
  });

  it('refuses a token that is past expires_at by our own clock', async () => {
    const later = contextWith({ now: () => Date.now() + 61 * DAY_MS });
    const error = await rejectionOf(verify(FACEBOOK_TEST_TOKENS.alice, later), FACEBOOK_TEST_TOKENS.alice);
    expect(error).toMatchObject({ status: 401, reason: 'expired' });
  });

  it('answers 503, not a 401 for every user, when Graph refuses our own app token (wrong app secret)', async () => {
    const wrongSecret = { ...options, client_secret: OTHER_FACEBOOK_APP.client_secret };
    const error = await rejectionOf(verify(FACEBOOK_TEST_TOKENS.alice, contextWith(), wrongSecret), FACEBOOK_TEST_TOKENS.alice);

    expect(error).toMatchObject({ status: 503, reason: 'facebook_app_token_rejected' });
  });
});

describe('facebook emulator: Graph checks done for real', () => {
  const get = async (path: string, query: Record<string, string>) => {
    const response = await fetch(`${emulator.url}${path}?${new URLSearchParams(query)}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers a wrong appsecret_proof with the real GraphMethodException (code 100)', async () => {
    const token = FACEBOOK_TEST_TOKENS.alice;
    const { status, body } = await get('/v25.0/me', {
      fields: 'id',
      access_token: token,
      appsecret_proof: appsecretProof(token, OTHER_FACEBOOK_APP.client_secret),
    });

    expect(status).toBe(400);
    expect(body.error).toMatchObject({ message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException', code: 100 });
  });

  it('answers an expired token on /me with code 190, subcode 463', async () => {
    const token = FACEBOOK_TEST_TOKENS.expired;
    const { status, body } = await get('/v25.0/me', { access_token: token, appsecret_proof: appsecretProof(token, FACEBOOK_APP.client_secret) });

    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'OAuthException', code: 190, error_subcode: 463, fbtrace_id: expect.any(String) });
  });

  it('refuses debug_token without the app access token APPID|APPSECRET', async () => {
    const { status, body } = await get('/v25.0/debug_token', {
      input_token: FACEBOOK_TEST_TOKENS.alice,
      access_token: `${FACEBOOK_APP.client_id}|${OTHER_FACEBOOK_APP.client_secret}`,
    });

    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: 'OAuthException', code: 190 });
  });
});

describe('facebook adapter: provider trouble → 503', () => {
  it('retries a failing Graph (HTTP 500) a bounded number of times, then answers 503', async () => {
    emulator.setFault({ kind: 'status', status: 500, body: '{"error":{"message":"An unknown error has occurred.","type":"OAuthException","code":1}}' });

    const error = await rejectionOf(verify(FACEBOOK_TEST_TOKENS.alice), FACEBOOK_TEST_TOKENS.alice);

    expect(error).toMatchObject({ status: 503, error: 'temporarily_unavailable', reason: 'provider_unavailable' });
    // One attempt plus two retries per endpoint, all finished before verify() settled.
    expect(emulator.calls).toHaveLength(6);
    expect(callsTo('/v25.0/debug_token')).toBe(3);
    expect(callsTo('/v25.0/me')).toBe(3);
  });

  it('answers 503 at once when Graph rate-limits with HTTP 429: never retried (DESIGN section 12)', async () => {
    emulator.setFault({ kind: 'status', status: 429, body: '{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4}}' });

    const error = await rejectionOf(verify(FACEBOOK_TEST_TOKENS.alice), FACEBOOK_TEST_TOKENS.alice);

    expect(error).toMatchObject({ status: 503, reason: 'provider_rate_limited_app', retryAfterSeconds: 30 });
    expect(emulator.calls).toHaveLength(2);
  });

  it('answers 503 within about the timeout when Graph hangs', async () => {
    emulator.setFault({ kind: 'hang' });
    const started = performance.now();

    const error = await rejectionOf(verify(FACEBOOK_TEST_TOKENS.alice, contextWith({ timeoutMs: 300 })), FACEBOOK_TEST_TOKENS.alice);

    const elapsed = performance.now() - started;
    expect(error).toMatchObject({ status: 503, reason: 'provider_timeout' });
    expect(emulator.calls).toHaveLength(2); // a timed-out call is not retried
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(900);
  });

  it('answers 503 when Graph sends a 200 that is not JSON', async () => {
    emulator.setFault({ kind: 'garbage' });
    const error = await rejectionOf(verify(FACEBOOK_TEST_TOKENS.alice), FACEBOOK_TEST_TOKENS.alice);
    expect(error).toMatchObject({ status: 503, reason: 'provider_malformed' });
  });

  it('answers 503 when Graph sends JSON of the wrong shape', async () => {
    emulator.setFault({ kind: 'status', status: 200, body: '{"data":{"is_valid":true,"app_id":1471395123456789.5}}' });
    const error = await rejectionOf(verify(FACEBOOK_TEST_TOKENS.alice), FACEBOOK_TEST_TOKENS.alice);
    expect(error).toMatchObject({ status: 503, reason: 'provider_malformed' });
  });

  it('answers 503 when Graph resets the connection', async () => {
    emulator.setFault({ kind: 'reset' });
    const error = await rejectionOf(verify(FACEBOOK_TEST_TOKENS.alice), FACEBOOK_TEST_TOKENS.alice);
    expect(error).toMatchObject({ status: 503, reason: 'provider_unreachable' });
    expect(emulator.calls).toHaveLength(6);
  });

  it('recovers when a single failure is followed by a good answer', async () => {
    emulator.setFault({ kind: 'status', status: 502 }, 1);
    const profile = await verify(FACEBOOK_TEST_TOKENS.alice);
    expect(profile.provider_user_id).toBe(FACEBOOK_USERS.alice.id);
    expect(emulator.calls).toHaveLength(3);
  });
});

describe('facebook adapter: call pattern', () => {
  it('makes exactly two calls per verification, concurrently', async () => {
    await verify(FACEBOOK_TEST_TOKENS.alice); // warm the connection pool
    emulator.calls.length = 0;
    emulator.setDelay(100);
    const started = performance.now();

    await verify(FACEBOOK_TEST_TOKENS.alice);

    const elapsed = performance.now() - started;
    expect(emulator.calls.map((call) => call.path).sort()).toEqual(['/v25.0/debug_token', '/v25.0/me']);
    const [first, second] = emulator.calls;
    expect(Math.abs((first?.at ?? 0) - (second?.at ?? Infinity))).toBeLessThan(50);
    expect(elapsed).toBeLessThan(180);
  });
});
