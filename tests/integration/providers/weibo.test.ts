import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isOAuthError, type OAuthError } from '../../../functions/core/errors.js';
import { createProviderHttp } from '../../../functions/providers/http.js';
import type { ConnectionOptions, ProviderContext, ProviderRequest } from '../../../functions/providers/types.js';
import { weibo } from '../../../functions/providers/weibo.js';
import {
  startWeiboEmulator,
  WEIBO_APP,
  WEIBO_OTHER_APP,
  WEIBO_TEST_TOKENS,
  type WeiboEmulatorHandle,
} from '../../../infra/local/emulators/weibo.js';

let emulator: WeiboEmulatorHandle;
let options: ConnectionOptions;

beforeAll(async () => {
  emulator = await startWeiboEmulator();
  options = { ...WEIBO_APP, endpoints: emulator.endpoints };
});

afterAll(() => emulator.close());

beforeEach(() => {
  emulator.setFault(null);
  emulator.setDelay(0);
  emulator.calls.length = 0;
});

const context = (timeoutMs = 2_000): ProviderContext => ({ http: createProviderHttp({ timeoutMs }), now: () => Date.now() });

const sent = (entry: { token: string }, extra: Partial<ProviderRequest> = {}): ProviderRequest => ({
  accessToken: entry.token,
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

const callLog = () => emulator.calls.map((call) => `${call.method} ${call.path}`);

/** A 200 answer served by the emulator's fault switch instead of its catalogue. */
const answerWith = (body: unknown, times = 1) =>
  emulator.setFault({ kind: 'status', status: 200, body: typeof body === 'string' ? body : JSON.stringify(body) }, times);

const INVALID_TOKEN = { status: 401, error: 'invalid_request', description: 'invalid access_token: invalid_token' };
const TOKEN_INFO = { uid: 1073880650, appkey: Number(WEIBO_APP.client_id), scope: '', create_at: 1352267591 };

describe('weibo adapter against the Weibo emulator', () => {
  it('returns the profile in two sequential calls (token info, then the user)', async () => {
    const profile = await weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context());

    expect(profile).toEqual({
      provider: 'weibo',
      provider_user_id: '1073880650',
      claims: {
        name: '林小白',
        nickname: '林小白',
        picture: 'https://tvax1.sinaimg.cn/crop.0.0.180.180.180/emu1073880650.jpg',
        locale: 'zh-cn',
      },
    });
    expect(callLog()).toEqual(['POST /oauth2/get_token_info', 'GET /2/users/show.json']);
  });

  it('reads string-typed token info with the old expires_in spelling, and a uid beyond 2^53', async () => {
    const profile = await weibo.verify(sent(WEIBO_TEST_TOKENS.zhou), options, context());

    expect(profile).toEqual({
      provider: 'weibo',
      provider_user_id: '5678901234567890123',
      claims: {
        name: 'zhou_emu',
        nickname: 'zhou_emu',
        picture: 'https://tvax2.sinaimg.cn/crop.0.0.180.180.50/emu5678901234567890123.jpg',
      },
    });
    expect(emulator.calls).toHaveLength(2);
  });

  it('accepts a user_id equal to the token owner', async () => {
    const profile = await weibo.verify(sent(WEIBO_TEST_TOKENS.lin, { userId: '1073880650' }), options, context());
    expect(profile.provider_user_id).toBe('1073880650');
  });

  it.each([
    ['a token issued to another app', WEIBO_TEST_TOKENS.otherApp, WEIBO_APP, 'provider_token_other_app'],
    ['our token checked for the other app', WEIBO_TEST_TOKENS.lin, WEIBO_OTHER_APP, 'provider_token_other_app'],
    ['an expired token (21327)', WEIBO_TEST_TOKENS.expired, WEIBO_APP, 'provider_token_expired'],
    ['a revoked token (21332)', WEIBO_TEST_TOKENS.revoked, WEIBO_APP, 'provider_token_invalid'],
    ['an unknown token (21332)', { token: '2.00NotAToken' }, WEIBO_APP, 'provider_token_invalid'],
  ])('rejects %s with 401 after the first call', async (_name, entry, app, reason) => {
    const error = await failure(weibo.verify(sent(entry), { ...app, endpoints: emulator.endpoints }, context()));

    expect(error).toMatchObject({ ...INVALID_TOKEN, reason });
    expect(callLog()).toEqual(['POST /oauth2/get_token_info']);
  });

  it('rejects a user_id that is not the token owner with 401, before reading the profile', async () => {
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin, { userId: '5678901234567890123' }), options, context()));
    expect(error).toMatchObject({ ...INVALID_TOKEN, reason: 'user_id_mismatch' });
    expect(emulator.calls).toHaveLength(1);
  });

  it('puts no token into errors', async () => {
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.otherApp), options, context()));
    expect(`${error.message} ${error.reason} ${JSON.stringify(error)}`).not.toContain(WEIBO_TEST_TOKENS.otherApp.token);
  });
});

describe('weibo adapter reading unusual get_token_info answers', () => {
  it.each([
    ['expire_in 0', { ...TOKEN_INFO, expire_in: 0 }],
    ['expires_in "-5" (string, old spelling)', { ...TOKEN_INFO, expires_in: '-5' }],
  ])('rejects %s with 401', async (_name, body) => {
    answerWith(body);
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context()));
    expect(error).toMatchObject({ ...INVALID_TOKEN, reason: 'provider_token_expired' });
  });

  it.each([
    ['no uid', { appkey: TOKEN_INFO.appkey, expire_in: 100 }],
    ['no expiry', { uid: TOKEN_INFO.uid, appkey: TOKEN_INFO.appkey }],
    ['no appkey', { uid: TOKEN_INFO.uid, expire_in: 100 }],
    // JSON.parse has already rounded this uid: no exact id can be recovered from it.
    ['a uid number beyond 2^53', `{"uid":5678901234567890123,"appkey":${WEIBO_APP.client_id},"expire_in":100}`],
    ['an array', [TOKEN_INFO]],
  ])('answers 503 for a 2xx with %s', async (_name, body) => {
    answerWith(body);
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context()));
    expect(error).toMatchObject({ status: 503, reason: 'provider_malformed' });
    expect(emulator.calls).toHaveLength(1);
  });

  it('treats a 2xx that carries an error_code as a rejection', async () => {
    answerWith({ error: 'invalid_access_token', error_code: 21332, request: '/oauth2/get_token_info' });
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context()));
    expect(error).toMatchObject({ ...INVALID_TOKEN, reason: 'provider_token_invalid' });
  });

  // One body served to both calls: it passes as token info for uid 1073880650, then as a
  // users/show answer whose idstr names somebody else.
  it('rejects a users/show answer for another user (idstr ≠ uid) with 401', async () => {
    answerWith({ ...TOKEN_INFO, expire_in: 100, idstr: '999999', screen_name: 'someone else' }, 2);
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context()));
    expect(error).toMatchObject({ ...INVALID_TOKEN, reason: 'uid_mismatch' });
    expect(emulator.calls).toHaveLength(2);
  });

  it('answers 503 for a users/show answer without idstr', async () => {
    answerWith({ ...TOKEN_INFO, expire_in: 100, id: 1073880650 }, 2);
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context()));
    expect(error).toMatchObject({ status: 503, reason: 'provider_malformed' });
  });
});

describe('weibo adapter when Weibo misbehaves', () => {
  it('retries get_token_info (a read, though a POST) on 500, then answers 503', async () => {
    emulator.setFault({ kind: 'status', status: 500 });
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context()));

    expect(error).toMatchObject({ status: 503, error: 'temporarily_unavailable', reason: 'provider_unavailable' });
    expect(callLog()).toEqual(Array(3).fill('POST /oauth2/get_token_info'));
  });

  it('recovers when a retry succeeds', async () => {
    emulator.setFault({ kind: 'status', status: 502 }, 1);
    const profile = await weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context());

    expect(profile.provider_user_id).toBe('1073880650');
    expect(callLog()).toEqual(['POST /oauth2/get_token_info', 'POST /oauth2/get_token_info', 'GET /2/users/show.json']);
  });

  it('answers 503 within the timeout when Weibo hangs', async () => {
    emulator.setFault({ kind: 'hang' });
    const started = performance.now();
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context(300)));

    expect(error).toMatchObject({ status: 503, reason: 'provider_timeout' });
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('answers 503 for a body that is not JSON', async () => {
    emulator.setFault({ kind: 'garbage' });
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context()));
    expect(error).toMatchObject({ status: 503, reason: 'provider_malformed' });
  });

  it('answers 503 when the connection is reset', async () => {
    emulator.setFault({ kind: 'reset' });
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context()));
    expect(error).toMatchObject({ status: 503, reason: 'provider_unreachable' });
  });

  it('answers 503, not 401, when Weibo rate-limits (403 error_code 10023)', async () => {
    emulator.setFault({
      kind: 'status',
      status: 403,
      body: JSON.stringify({ error: 'User requests out of rate limit!', error_code: 10023, request: '/oauth2/get_token_info' }),
    });
    const error = await failure(weibo.verify(sent(WEIBO_TEST_TOKENS.lin), options, context()));
    expect(error).toMatchObject({ status: 503, reason: 'provider_rate_limited' });
  });
});

describe('Weibo emulator', () => {
  it('writes users/show id as a bare number next to the exact idstr', async () => {
    const url = new URL(emulator.endpoints.users_show!);
    url.searchParams.set('uid', WEIBO_TEST_TOKENS.zhou.uid);
    url.searchParams.set('access_token', WEIBO_TEST_TOKENS.zhou.token);
    const response = await fetch(url);
    const text = await response.text();
    const user = JSON.parse(text) as { id: number; idstr: string };

    expect(response.status).toBe(200);
    expect(text).toMatch(/"id":\d{19},/);
    expect(user.idstr).toBe('5678901234567890123');
    expect(String(user.id)).not.toBe(user.idstr);
  });

  it('answers the documented error body for an expired token', async () => {
    const response = await fetch(emulator.endpoints.get_token_info!, {
      method: 'POST',
      body: new URLSearchParams({ access_token: WEIBO_TEST_TOKENS.expired.token }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'expired_token', error_code: 21327, request: '/oauth2/get_token_info' });
  });
});
