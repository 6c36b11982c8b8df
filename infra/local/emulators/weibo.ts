import { startEmulator, type EmulatorAnswer, type EmulatorHandle, type EmulatorOptions, type EmulatorRequest } from './server.js';

/**
 * Sina Weibo emulator: `POST /oauth2/get_token_info` and `GET /2/users/show.json` with
 * the bodies open.weibo.com documents.
 *
 * - get_token_info (form or query `access_token`): 200 `{uid, appkey, scope, create_at,
 *   expire_in}`; the types vary by token (see the catalogue), as they do between Weibo's
 *   documented example (numbers) and its field table (strings), and between the current
 *   `expire_in` and the 2012 `expires_in` spelling.
 * - users/show (`uid`, `access_token`): 200, the user object with `id` (a bare JSON number,
 *   rounded by JSON parsers beyond 2^53) and `idstr` (exact). Unknown uid: 400
 *   `{"error":"User does not exists!","error_code":20003,...}`; no uid: 400 error_code 10016.
 * - invalid/revoked/unknown token: 400 `{"error":"invalid_access_token","error_code":21332,"request":"<path>"}`;
 *   expired token: 400 `{"error":"expired_token","error_code":21327,"request":"<path>"}`;
 *   no token: 400 `{"error":"invalid_request","error_code":21323,...}`; wrong method: 405 error_code 10021.
 */

/** The app key/secret of the app the local tenant's `weibo` connection uses. */
export const WEIBO_APP = {
  client_id: '3847562910',
  client_secret: 'EmuWeiboAppSecret0001c9a8b7d6e5f4',
} as const;

/** Another Weibo app: the one `WEIBO_TEST_TOKENS.otherApp` was issued to. */
export const WEIBO_OTHER_APP = {
  client_id: '2918374650',
  client_secret: 'EmuWeiboOtherAppSecret0002f1e2d3c4',
} as const;

/**
 * Test tokens of the Weibo emulator.
 *
 * | name       | uid                 | get_token_info answer                                                      |
 * |------------|---------------------|----------------------------------------------------------------------------|
 * | `lin`      | 1073880650          | 200, numbers: `uid`, `appkey` (WEIBO_APP), `expire_in`; user 林小白, lang zh-cn, avatar_large |
 * | `zhou`     | 5678901234567890123 | 200, strings: `uid`, `appkey` (WEIBO_APP), `expires_in` (old spelling); user zhou_emu, no lang, only profile_image_url |
 * | `expired`  | 1073880650          | 400 error_code 21327 `expired_token`                                        |
 * | `revoked`  | 1073880650          | 400 error_code 21332 `invalid_access_token` (so does any unknown token)     |
 * | `otherApp` | 1073880650          | 200 with `appkey` 2918374650 (WEIBO_OTHER_APP): a valid token of another app |
 */
export const WEIBO_TEST_TOKENS = {
  lin: { token: '2.00EmuLinAccessTokenQ1w2E3r4T5y6U7', uid: '1073880650' },
  zhou: { token: '2.00EmuZhouAccessTokenA9s8D7f6G5h4J3', uid: '5678901234567890123' },
  expired: { token: '2.00EmuExpiredAccessTokenK2l3Z4x5C6', uid: '1073880650' },
  revoked: { token: '2.00EmuRevokedAccessTokenV7b8N9m0Q1', uid: '1073880650' },
  otherApp: { token: '2.00EmuOtherAppAccessTokenW2e3R4t5Y6', uid: '1073880650' },
} as const;

interface EmulatedUser {
  idstr: string;
  screen_name: string;
  name: string;
  profile_image_url: string;
  avatar_large?: string;
  lang?: string;
}

const USERS: Readonly<Record<string, EmulatedUser>> = {
  '1073880650': {
    idstr: '1073880650',
    screen_name: '林小白',
    name: '林小白',
    profile_image_url: 'https://tvax1.sinaimg.cn/crop.0.0.180.180.50/emu1073880650.jpg',
    avatar_large: 'https://tvax1.sinaimg.cn/crop.0.0.180.180.180/emu1073880650.jpg',
    lang: 'zh-cn',
  },
  '5678901234567890123': {
    idstr: '5678901234567890123',
    screen_name: 'zhou_emu',
    name: 'Zhou Emu',
    profile_image_url: 'https://tvax2.sinaimg.cn/crop.0.0.180.180.50/emu5678901234567890123.jpg',
  },
};

type TokenState = 'active' | 'expired' | 'revoked';
/** `numbers`: the documented example's JSON types; `strings`: the field table's, with `expires_in`. */
type InfoStyle = 'numbers' | 'strings';

interface TokenRecord {
  uid: string;
  appkey: string;
  state: TokenState;
  style: InfoStyle;
}

const TOKENS: ReadonlyMap<string, TokenRecord> = new Map([
  [WEIBO_TEST_TOKENS.lin.token, { uid: '1073880650', appkey: WEIBO_APP.client_id, state: 'active', style: 'numbers' }],
  [WEIBO_TEST_TOKENS.zhou.token, { uid: '5678901234567890123', appkey: WEIBO_APP.client_id, state: 'active', style: 'strings' }],
  [WEIBO_TEST_TOKENS.expired.token, { uid: '1073880650', appkey: WEIBO_APP.client_id, state: 'expired', style: 'numbers' }],
  [WEIBO_TEST_TOKENS.revoked.token, { uid: '1073880650', appkey: WEIBO_APP.client_id, state: 'revoked', style: 'numbers' }],
  [WEIBO_TEST_TOKENS.otherApp.token, { uid: '1073880650', appkey: WEIBO_OTHER_APP.client_id, state: 'active', style: 'numbers' }],
]);

/** Tokens were issued "a day ago" and live five years, like Weibo's long-lived app tokens. */
const TOKEN_AGE_SECONDS = 86_400;
const TOKEN_LIFETIME_SECONDS = 157_680_000;

export const GET_TOKEN_INFO_PATH = '/oauth2/get_token_info';
export const USERS_SHOW_PATH = '/2/users/show.json';

export interface WeiboEmulatorOptions extends EmulatorOptions {
  /** The emulator's clock in epoch ms (default Date.now), for create_at / expire_in. */
  now?: () => number;
}

export type WeiboEmulatorHandle = EmulatorHandle & { endpoints: Record<string, string> };

export const startWeiboEmulator = async (options: WeiboEmulatorOptions = {}): Promise<WeiboEmulatorHandle> => {
  const now = options.now ?? Date.now;

  const route = (request: EmulatorRequest): EmulatorAnswer | undefined => {
    if (request.path === GET_TOKEN_INFO_PATH) {
      if (request.method !== 'POST') return methodNotAllowed(request.path);
      const token = accessToken(request);
      if ('rejection' in token) return token.rejection;
      const createdAt = Math.floor(now() / 1000) - TOKEN_AGE_SECONDS;
      return { status: 200, json: tokenInfo(token.record, createdAt) };
    }
    if (request.path === USERS_SHOW_PATH) {
      if (request.method !== 'GET') return methodNotAllowed(request.path);
      const token = accessToken(request);
      if ('rejection' in token) return token.rejection;
      const uid = request.query.get('uid');
      if (!uid) return weiboError(400, 10016, `miss required parameter (uid), see doc for more info.`, request.path);
      const user = USERS[uid];
      if (!user) return weiboError(400, 20003, 'User does not exists!', request.path);
      return { status: 200, json: userJson(user) };
    }
    return undefined;
  };

  const handle = await startEmulator('weibo', route, options);
  return {
    ...handle,
    endpoints: {
      get_token_info: `${handle.url}${GET_TOKEN_INFO_PATH}`,
      users_show: `${handle.url}${USERS_SHOW_PATH}`,
    },
  };
};

/** The live token record of the request, or the error answer Weibo gives instead. */
const accessToken = (request: EmulatorRequest): { record: TokenRecord } | { rejection: EmulatorAnswer } => {
  const value = new URLSearchParams(request.body).get('access_token') ?? request.query.get('access_token');
  if (!value) return { rejection: weiboError(400, 21323, 'invalid_request', request.path) };
  const record = TOKENS.get(value);
  if (record?.state === 'expired') return { rejection: weiboError(400, 21327, 'expired_token', request.path) };
  if (!record || record.state === 'revoked') {
    return { rejection: weiboError(400, 21332, 'invalid_access_token', request.path) };
  }
  return { record };
};

const tokenInfo = (token: TokenRecord, createdAt: number) => {
  const expiresIn = TOKEN_LIFETIME_SECONDS - TOKEN_AGE_SECONDS;
  return token.style === 'numbers'
    ? { uid: Number(token.uid), appkey: Number(token.appkey), scope: '', create_at: createdAt, expire_in: expiresIn }
    : { uid: token.uid, appkey: token.appkey, scope: null, create_at: String(createdAt), expires_in: String(expiresIn) };
};

const userJson = (user: EmulatedUser) => ({
  id: rawJsonNumber(user.idstr),
  idstr: user.idstr,
  screen_name: user.screen_name,
  name: user.name,
  province: '11',
  city: '5',
  location: '北京 朝阳区',
  description: '',
  url: '',
  profile_image_url: user.profile_image_url,
  domain: '',
  gender: 'n',
  followers_count: 42,
  friends_count: 7,
  statuses_count: 3,
  created_at: 'Fri Aug 28 00:00:00 +0800 2009',
  verified: false,
  ...(user.avatar_large ? { avatar_large: user.avatar_large } : {}),
  ...(user.lang ? { lang: user.lang } : {}),
});

/** See the Twitter emulator: digits intact where JSON.rawJSON exists (Node 22+). */
const rawJsonNumber = (digits: string): unknown => {
  const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;
  return rawJSON ? rawJSON(digits) : Number(digits);
};

const weiboError = (status: number, code: number, error: string, path: string): EmulatorAnswer => ({
  status,
  json: { error, error_code: code, request: path },
});

const methodNotAllowed = (path: string) => weiboError(405, 10021, 'HTTP method is not suported for this request!', path);
