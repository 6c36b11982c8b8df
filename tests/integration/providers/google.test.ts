import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../../functions/core/errors.js';
import { google } from '../../../functions/providers/google.js';
import { createProviderHttp } from '../../../functions/providers/http.js';
import type { ConnectionOptions, ProviderContext } from '../../../functions/providers/types.js';
import {
  GOOGLE_ANDROID_CLIENT_ID,
  GOOGLE_APP,
  GOOGLE_TEST_TOKENS,
  GOOGLE_USERS,
  startGoogleEmulator,
  type GoogleEmulatorHandle,
} from '../../../infra/local/emulators/google.js';

const LEGACY_USER_ID_TOKEN = 'google-tokeninfo-with-user-id';
const NO_SUBJECT_TOKEN = 'google-tokeninfo-without-subject';
const MISMATCHED_SUBJECT_TOKEN = 'google-tokeninfo-names-bob';

let emulator: GoogleEmulatorHandle;
let options: ConnectionOptions;

const contextWith = (timeoutMs = 2_000): ProviderContext => ({
  http: createProviderHttp({ timeoutMs }),
  now: () => Date.now(),
});

const verify = (accessToken: string, context = contextWith(), connection = options) =>
  google.verify({ accessToken }, connection, context);

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
  const fullScopes = ['openid', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/userinfo.profile'];
  const aliceGrant = { clientId: GOOGLE_APP.client_id, account: GOOGLE_USERS.alice, scopes: fullScopes, expiresIn: 3_600 };
  emulator = await startGoogleEmulator({
    tokens: {
      [LEGACY_USER_ID_TOKEN]: { ...aliceGrant, subjectField: 'user_id' },
      [NO_SUBJECT_TOKEN]: { ...aliceGrant, subjectField: 'none' },
      [MISMATCHED_SUBJECT_TOKEN]: { ...aliceGrant, tokenInfoSubject: GOOGLE_USERS.bob.sub },
    },
  });
  options = { ...GOOGLE_APP, endpoints: emulator.endpoints };
});

afterEach(() => {
  emulator.setFault(null);
  emulator.setDelay(0);
  emulator.calls.length = 0;
});

afterAll(() => emulator.close());

describe('google adapter: accepted tokens', () => {
  it('maps a valid token to the profile, with the verified email', async () => {
    const profile = await verify(GOOGLE_TEST_TOKENS.alice);

    expect(profile).toEqual({
      provider: 'google-oauth2',
      provider_user_id: '109876543210987654321',
      claims: {
        name: 'Alice Liddell',
        given_name: 'Alice',
        family_name: 'Liddell',
        picture: GOOGLE_USERS.alice.picture,
        locale: 'en',
        email: 'alice.liddell@gmail.com',
        email_verified: true,
      },
    });
  });

  it('accepts a token without the email scope and leaves both email claims out', async () => {
    const profile = await verify(GOOGLE_TEST_TOKENS.bobNoEmail);

    expect(profile.provider_user_id).toBe(GOOGLE_USERS.bob.sub);
    expect(profile.claims).not.toHaveProperty('email');
    expect(profile.claims).not.toHaveProperty('email_verified');
    expect(profile.claims).toMatchObject({ name: 'Bob Marley', locale: 'fr' });
  });

  it('accepts a token of an allowed Android client, and keeps an unverified email unverified', async () => {
    const profile = await verify(GOOGLE_TEST_TOKENS.carolAndroid);

    expect(profile.provider_user_id).toBe(GOOGLE_USERS.carol.sub);
    expect(profile.claims).toMatchObject({ email: 'carol@example.com', email_verified: false });
  });

  it('cross-checks the legacy tokeninfo `user_id` when `sub` is absent', async () => {
    const profile = await verify(LEGACY_USER_ID_TOKEN);
    expect(profile.provider_user_id).toBe(GOOGLE_USERS.alice.sub);
  });

  it('accepts a token whose tokeninfo names no subject (audience still checked)', async () => {
    const profile = await verify(NO_SUBJECT_TOKEN);
    expect(profile.provider_user_id).toBe(GOOGLE_USERS.alice.sub);
  });
});

describe('google adapter: rejected tokens → 401', () => {
  it.each([
    ['issued to another project', GOOGLE_TEST_TOKENS.otherApp, 'google_audience_mismatch'],
    ['expired', GOOGLE_TEST_TOKENS.expired, 'invalid_token'],
    ['revoked', GOOGLE_TEST_TOKENS.revoked, 'invalid_token'],
    ['unknown to Google', GOOGLE_TEST_TOKENS.unknown, 'invalid_token'],
    ['named like an Object.prototype key', '__proto__', 'invalid_token'],
    ['whose tokeninfo subject differs from userinfo', MISMATCHED_SUBJECT_TOKEN, 'google_user_mismatch'],
  ])('refuses a token %s', async (_case, token, reason) => {
    const error = await rejectionOf(verify(token), token);

    expect(error.status).toBe(401);
    expect(error.toJSON()).toEqual({ error: 'invalid_request', error_description: 'invalid access_token: invalid_token' });
    expect(error.reason).toBe(reason);
  });

  it('refuses an Android client token when the connection does not allow that client', async () => {
    const webOnly: ConnectionOptions = { ...options, allowed_audiences: [] };
    const error = await rejectionOf(verify(GOOGLE_TEST_TOKENS.carolAndroid, contextWith(), webOnly), GOOGLE_TEST_TOKENS.carolAndroid);

    expect(error).toMatchObject({ status: 401, reason: 'google_audience_mismatch' });
  });

  it('refuses a token tokeninfo reports with expires_in "0"', async () => {
    // Both endpoints get this body: tokeninfo's expiry is what must fail the login.
    const body = { aud: GOOGLE_APP.client_id, azp: GOOGLE_APP.client_id, sub: GOOGLE_USERS.alice.sub, exp: '1767225600', expires_in: '0' };
    emulator.setFault({ kind: 'status', status: 200, body: JSON.stringify(body) });

    const error = await rejectionOf(verify(GOOGLE_TEST_TOKENS.alice), GOOGLE_TEST_TOKENS.alice);
    expect(error).toMatchObject({ status: 401, reason: 'expired' });
  });
});

describe('tokeninfo answers that carry only the absolute expiry', () => {
  it.each([
    ['a past exp', String(Math.floor(Date.now() / 1000) - 60), 401],
    ['a future exp', String(Math.floor(Date.now() / 1000) + 3600), 200],
  ])('%s', async (_name, exp, status) => {
    const body = { aud: GOOGLE_APP.client_id, azp: GOOGLE_APP.client_id, sub: GOOGLE_USERS.alice.sub, exp };
    emulator.setFault({ kind: 'status', status: 200, body: JSON.stringify(body) });
    try {
      const profile = await verify(GOOGLE_TEST_TOKENS.alice);
      expect(status).toBe(200);
      expect(profile.provider_user_id).toBe(GOOGLE_USERS.alice.sub);
    } catch (error) {
      expect(status).toBe(401);
      expect(error).toMatchObject({ status: 401, reason: 'expired' });
    } finally {
      emulator.setFault(null);
    }
  });
});

describe('google emulator: real answer shapes', () => {
  it('sends tokeninfo scalars as strings and an invalid token as 400 invalid_token', async () => {
    const good = await fetch(`${emulator.url}/tokeninfo?access_token=${GOOGLE_TEST_TOKENS.carolAndroid}`);
    const bad = await fetch(`${emulator.url}/tokeninfo?access_token=${GOOGLE_TEST_TOKENS.expired}`);

    expect(await good.json()).toMatchObject({
      azp: GOOGLE_ANDROID_CLIENT_ID,
      expires_in: expect.stringMatching(/^\d+$/),
      exp: expect.stringMatching(/^\d+$/),
      email_verified: 'false',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_token', error_description: 'Invalid Value' });
  });

  it('answers userinfo without a usable Bearer token with 401 and a challenge', async () => {
    const response = await fetch(`${emulator.url}/v1/userinfo`, { headers: { authorization: `Bearer ${GOOGLE_TEST_TOKENS.revoked}` } });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('google adapter: provider trouble → 503', () => {
  it('retries a failing Google (HTTP 500) a bounded number of times, then answers 503', async () => {
    emulator.setFault({ kind: 'status', status: 500, body: '{"error":"internal_failure"}' });

    const error = await rejectionOf(verify(GOOGLE_TEST_TOKENS.alice), GOOGLE_TEST_TOKENS.alice);

    expect(error).toMatchObject({ status: 503, error: 'temporarily_unavailable', reason: 'provider_unavailable' });
    expect(callsTo('/tokeninfo')).toBe(3);
    expect(callsTo('/v1/userinfo')).toBe(3);
  });

  it('answers 503 at once when Google rate-limits (429): never retried, app-wide (DESIGN section 12)', async () => {
    emulator.setFault({ kind: 'status', status: 429, body: '{"error":"rate_limit_exceeded"}' });

    const error = await rejectionOf(verify(GOOGLE_TEST_TOKENS.alice), GOOGLE_TEST_TOKENS.alice);

    expect(error).toMatchObject({ status: 503, reason: 'provider_rate_limited_app', retryAfterSeconds: 30 });
    expect(emulator.calls).toHaveLength(2);
  });

  it('answers 503 within about the timeout when Google hangs', async () => {
    emulator.setFault({ kind: 'hang' });
    const started = performance.now();

    const error = await rejectionOf(verify(GOOGLE_TEST_TOKENS.alice, contextWith(300)), GOOGLE_TEST_TOKENS.alice);

    const elapsed = performance.now() - started;
    expect(error).toMatchObject({ status: 503, reason: 'provider_timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(900);
    expect(emulator.calls).toHaveLength(2);
  });

  it('answers 503 when Google sends a 200 that is not JSON', async () => {
    emulator.setFault({ kind: 'garbage' });
    const error = await rejectionOf(verify(GOOGLE_TEST_TOKENS.alice), GOOGLE_TEST_TOKENS.alice);
    expect(error).toMatchObject({ status: 503, reason: 'provider_malformed' });
  });

  it.each([
    ['expires_in that is not a number', { aud: GOOGLE_APP.client_id, sub: '1', expires_in: 'soon' }],
    ['no audience at all', { sub: '1', expires_in: '3599' }],
    ['a subject of the wrong type', { aud: GOOGLE_APP.client_id, sub: 1, expires_in: '3599' }],
  ])('answers 503 when Google sends JSON with %s', async (_case, body) => {
    emulator.setFault({ kind: 'status', status: 200, body: JSON.stringify(body) });
    const error = await rejectionOf(verify(GOOGLE_TEST_TOKENS.alice), GOOGLE_TEST_TOKENS.alice);
    expect(error).toMatchObject({ status: 503, reason: 'provider_malformed' });
  });

  it('answers 503 when Google resets the connection', async () => {
    emulator.setFault({ kind: 'reset' });
    const error = await rejectionOf(verify(GOOGLE_TEST_TOKENS.alice), GOOGLE_TEST_TOKENS.alice);
    expect(error).toMatchObject({ status: 503, reason: 'provider_unreachable' });
    expect(emulator.calls).toHaveLength(6);
  });
});

describe('google adapter: call pattern', () => {
  it('makes exactly two calls per verification, concurrently', async () => {
    await verify(GOOGLE_TEST_TOKENS.alice); // warm the connection pool
    emulator.calls.length = 0;
    emulator.setDelay(100);
    const started = performance.now();

    await verify(GOOGLE_TEST_TOKENS.alice);

    const elapsed = performance.now() - started;
    expect(emulator.calls.map((call) => call.path).sort()).toEqual(['/tokeninfo', '/v1/userinfo']);
    const [first, second] = emulator.calls;
    expect(Math.abs((first?.at ?? 0) - (second?.at ?? Infinity))).toBeLessThan(50);
    expect(elapsed).toBeLessThan(180);
  });
});
