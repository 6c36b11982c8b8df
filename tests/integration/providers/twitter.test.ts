import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isOAuthError, type OAuthError } from '../../../functions/core/errors.js';
import { createProviderHttp } from '../../../functions/providers/http.js';
import { signRequest } from '../../../functions/providers/oauth1.js';
import { twitter } from '../../../functions/providers/twitter.js';
import type { ConnectionOptions, ProviderContext, ProviderRequest } from '../../../functions/providers/types.js';
import {
  startTwitterEmulator,
  TWITTER_APP,
  TWITTER_OTHER_APP,
  TWITTER_TEST_TOKENS,
  type TwitterEmulatorHandle,
} from '../../../infra/local/emulators/twitter.js';

let emulator: TwitterEmulatorHandle;
let options: ConnectionOptions;

beforeAll(async () => {
  emulator = await startTwitterEmulator();
  options = { ...TWITTER_APP, endpoints: emulator.endpoints };
});

afterAll(() => emulator.close());

beforeEach(() => {
  emulator.setFault(null);
  emulator.setDelay(0);
  emulator.calls.length = 0;
});

const context = (timeoutMs = 2_000, now = () => Date.now()): ProviderContext => ({
  http: createProviderHttp({ timeoutMs }),
  now,
});

const sent = (entry: { token: string; secret: string }, extra: Partial<ProviderRequest> = {}): ProviderRequest => ({
  accessToken: entry.token,
  accessTokenSecret: entry.secret,
  ...extra,
});

const failure = async (promise: Promise<unknown>): Promise<OAuthError> => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isOAuthError(error)) throw new Error(`expected an OAuthError, got ${String(error)}`);
  return error;
};

const INVALID_TOKEN = { status: 401, error: 'invalid_request', description: 'invalid access_token: invalid_token' };

describe('twitter adapter against the X emulator', () => {
  it('returns the profile of a valid token in exactly one signed call', async () => {
    const profile = await twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, context());

    expect(profile).toEqual({
      provider: 'twitter',
      provider_user_id: '1234567890123456789',
      claims: {
        name: 'Ada Lovelace',
        nickname: 'ada_emu',
        picture: 'https://pbs.twimg.com/profile_images/1234567890123456789/emu_normal.jpg',
        email: 'ada@example.com',
        email_verified: true,
        locale: 'en',
      },
    });
    expect(emulator.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'GET /1.1/account/verify_credentials.json',
    ]);
  });

  it('claims no email for a user without one (X sends email: null)', async () => {
    const profile = await twitter.verify(sent(TWITTER_TEST_TOKENS.grace), options, context());

    expect(profile.provider_user_id).toBe('1987654321987654321');
    expect(profile.claims).toEqual({
      name: 'Grace Hopper',
      nickname: 'grace_emu',
      picture: 'https://pbs.twimg.com/profile_images/1987654321987654321/emu_normal.jpg',
    });
  });

  it('accepts a user_id equal to id_str', async () => {
    const profile = await twitter.verify(
      sent(TWITTER_TEST_TOKENS.ada, { userId: '1234567890123456789' }),
      options,
      context(),
    );
    expect(profile.provider_user_id).toBe('1234567890123456789');
  });

  it('signs the query of an endpoint override too (a proxy URL with its own parameters)', async () => {
    const proxied = { ...options, endpoints: { verify_credentials: `${emulator.endpoints.verify_credentials}?via=proxy` } };
    const profile = await twitter.verify(sent(TWITTER_TEST_TOKENS.ada), proxied, context());
    expect(profile.provider_user_id).toBe('1234567890123456789');
  });

  it('draws a fresh nonce per verification (the emulator refuses replays)', async () => {
    const ctx = context();
    await twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, ctx);
    await twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, ctx);
    expect(emulator.calls).toHaveLength(2);
  });

  it.each([
    ['a token issued to another app', sent(TWITTER_TEST_TOKENS.otherApp), TWITTER_APP, 'provider_token_invalid'],
    ['our token under the other app\'s consumer', sent(TWITTER_TEST_TOKENS.ada), TWITTER_OTHER_APP, 'provider_token_invalid'],
    ['a revoked token', sent(TWITTER_TEST_TOKENS.revoked), TWITTER_APP, 'provider_token_invalid'],
    ['an unknown token', { accessToken: '42-unknown', accessTokenSecret: 'nope' }, TWITTER_APP, 'provider_token_invalid'],
    [
      'a wrong token secret',
      { accessToken: TWITTER_TEST_TOKENS.ada.token, accessTokenSecret: TWITTER_TEST_TOKENS.grace.secret },
      TWITTER_APP,
      'provider_bad_signature',
    ],
    [
      'a wrong consumer secret',
      sent(TWITTER_TEST_TOKENS.ada),
      { ...TWITTER_APP, client_secret: 'not-the-consumer-secret' },
      'provider_bad_signature',
    ],
    ['an unknown consumer key', sent(TWITTER_TEST_TOKENS.ada), { ...TWITTER_APP, client_id: 'unknown' }, 'provider_bad_signature'],
  ])('rejects %s with 401', async (_name, request, app, reason) => {
    const error = await failure(twitter.verify(request, { ...app, endpoints: emulator.endpoints }, context()));

    expect(error).toMatchObject({ ...INVALID_TOKEN, reason });
    expect(emulator.calls).toHaveLength(1);
  });

  it('rejects a user_id that is not the token owner with 401', async () => {
    const error = await failure(
      twitter.verify(sent(TWITTER_TEST_TOKENS.ada, { userId: '1987654321987654321' }), options, context()),
    );
    expect(error).toMatchObject({ ...INVALID_TOKEN, reason: 'user_id_mismatch' });
  });

  it('is refused by X when our clock is off by more than the window (code 135 → 401)', async () => {
    const anHourAgo = () => Date.now() - 3_600_000;
    const error = await failure(twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, context(2_000, anHourAgo)));
    expect(error).toMatchObject({ ...INVALID_TOKEN, reason: 'provider_clock_skew' });
  });

  it('never calls X without a token secret', async () => {
    const error = await failure(twitter.verify({ accessToken: TWITTER_TEST_TOKENS.ada.token }, options, context()));
    expect(error).toMatchObject({ status: 400, description: 'missing access_token_secret parameter' });
    expect(emulator.calls).toHaveLength(0);
  });

  it('puts neither the token nor a secret into errors', async () => {
    const request = { accessToken: TWITTER_TEST_TOKENS.ada.token, accessTokenSecret: 'wrong-secret-value' };
    const error = await failure(twitter.verify(request, options, context()));
    const visible = `${error.message} ${error.reason} ${JSON.stringify(error)}`;
    for (const secret of [request.accessToken, request.accessTokenSecret, TWITTER_APP.client_secret]) {
      expect(visible).not.toContain(secret);
    }
  });
});

describe('twitter adapter when X misbehaves', () => {
  it('retries a 500 and then answers 503', async () => {
    emulator.setFault({ kind: 'status', status: 500 });
    const error = await failure(twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, context()));

    expect(error).toMatchObject({ status: 503, error: 'temporarily_unavailable', reason: 'provider_unavailable' });
    expect(emulator.calls).toHaveLength(3);
  });

  it('recovers when a retry succeeds', async () => {
    emulator.setFault({ kind: 'status', status: 503 }, 1);
    const profile = await twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, context());

    expect(profile.provider_user_id).toBe('1234567890123456789');
    expect(emulator.calls).toHaveLength(2);
  });

  it('answers 503 within the timeout when X hangs', async () => {
    emulator.setFault({ kind: 'hang' });
    const started = performance.now();
    const error = await failure(twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, context(300)));

    expect(error).toMatchObject({ status: 503, reason: 'provider_timeout' });
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('answers 503 for a body that is not JSON', async () => {
    emulator.setFault({ kind: 'garbage' });
    const error = await failure(twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, context()));
    expect(error).toMatchObject({ status: 503, reason: 'provider_malformed' });
  });

  it('answers 503 for a JSON profile without id_str', async () => {
    emulator.setFault({ kind: 'status', status: 200, body: JSON.stringify({ id: 1234567890123456789, name: 'No id_str' }) });
    const error = await failure(twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, context()));
    expect(error).toMatchObject({ status: 503, reason: 'provider_malformed' });
  });

  it('answers 503 when the connection is reset', async () => {
    emulator.setFault({ kind: 'reset' });
    const error = await failure(twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, context()));
    expect(error).toMatchObject({ status: 503, reason: 'provider_unreachable' });
    expect(emulator.calls.length).toBeGreaterThanOrEqual(1);
  });

  it('answers 503 when X rate-limits (429 code 88)', async () => {
    emulator.setFault({
      kind: 'status',
      status: 429,
      body: JSON.stringify({ errors: [{ code: 88, message: 'Rate limit exceeded' }] }),
    });
    const error = await failure(twitter.verify(sent(TWITTER_TEST_TOKENS.ada), options, context()));
    expect(error).toMatchObject({ status: 503 });
  });
});

describe('X emulator', () => {
  const signedFetch = (url: string) => {
    const { authorization } = signRequest(
      { method: 'GET', url },
      {
        consumerKey: TWITTER_APP.client_id,
        consumerSecret: TWITTER_APP.client_secret,
        token: TWITTER_TEST_TOKENS.ada.token,
        tokenSecret: TWITTER_TEST_TOKENS.ada.secret,
      },
      { nonce: `fixed-nonce-${url.length}` },
    );
    return () => fetch(url, { headers: { authorization } });
  };

  it('writes id as a bare number that a JSON parser rounds, next to the exact id_str', async () => {
    const response = await signedFetch(`${emulator.endpoints.verify_credentials}?skip_status=true`)();
    const text = await response.text();
    const user = JSON.parse(text) as { id: number; id_str: string };

    expect(response.status).toBe(200);
    expect(text).toMatch(/"id":\d{19},/);
    expect(user.id_str).toBe('1234567890123456789');
    expect(String(user.id)).not.toBe(user.id_str);
  });

  it('refuses a replayed nonce and a tampered query with 401 code 32', async () => {
    const url = `${emulator.endpoints.verify_credentials}?include_email=true`;
    const send = signedFetch(url);
    expect((await send()).status).toBe(200);

    const replay = await send();
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ errors: [{ code: 32, message: 'Could not authenticate you.' }] });

    const { authorization } = signRequest(
      { method: 'GET', url },
      {
        consumerKey: TWITTER_APP.client_id,
        consumerSecret: TWITTER_APP.client_secret,
        token: TWITTER_TEST_TOKENS.ada.token,
        tokenSecret: TWITTER_TEST_TOKENS.ada.secret,
      },
    );
    const tampered = await fetch(`${url}&skip_status=true`, { headers: { authorization } });
    expect(tampered.status).toBe(401);
  });

  it('answers 400 code 215 without an OAuth header', async () => {
    const response = await fetch(emulator.endpoints.verify_credentials!);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [{ code: 215, message: 'Bad Authentication data.' }] });
  });
});
