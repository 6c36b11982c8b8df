import { timingSafeEqual } from 'node:crypto';
import {
  hmacSha1Signature,
  parseAuthorizationHeader,
  signatureBaseString,
} from '../../../functions/providers/oauth1.js';
import { startEmulator, type EmulatorAnswer, type EmulatorHandle, type EmulatorOptions, type EmulatorRequest } from './server.js';

/**
 * X/Twitter emulator: `GET /1.1/account/verify_credentials.json` with real OAuth 1.0a
 * verification. It recomputes the HMAC-SHA1 signature from the request it received (method,
 * base string URI, query, form body, oauth_* header parameters) with the consumer secret of
 * the header's consumer key and the secret of the header's token, as X does; so a wrong
 * secret, a token of another app or a tampered query all fail the way they fail at X.
 *
 * Answers (status, body) follow X API v1.1:
 * - success: 200, the user object; `id` is written as a bare JSON number (so a reader that
 *   uses it instead of `id_str` gets a rounded, wrong id), `email` only with
 *   `include_email=true` and `null` for a user without a verified address;
 * - no/garbled OAuth header: 400 `{"errors":[{"code":215,"message":"Bad Authentication data."}]}`;
 * - unknown consumer key, bad signature, replayed nonce:
 *   401 `{"errors":[{"code":32,"message":"Could not authenticate you."}]}`;
 * - unknown, revoked or other-app token: 401 `{"errors":[{"code":89,"message":"Invalid or expired token."}]}`;
 * - `oauth_timestamp` outside the window (default 300 s):
 *   401 `{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}`;
 * - any other path: 404 `{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}`.
 */

/** The consumer key/secret of the app the local tenant's `twitter` connection uses. */
export const TWITTER_APP = {
  client_id: 'EmuTwitterConsumerKey0001',
  client_secret: 'EmuTwitterConsumerSecret0001xVz1evFS4wEEPTGEFPHBog',
} as const;

/** Another X app: the one `TWITTER_TEST_TOKENS.otherApp` was issued to. */
export const TWITTER_OTHER_APP = {
  client_id: 'EmuOtherConsumerKey0002',
  client_secret: 'EmuOtherConsumerSecret0002kAcSOqF21Fu85e7zjz7ZN2',
} as const;

/**
 * Test tokens of the X emulator (token + token secret, as X issues them: the access token
 * starts with the user id). Ids exceed 2^53 on purpose.
 *
 * | name       | user id               | what X answers with `TWITTER_APP`                          |
 * |------------|-----------------------|------------------------------------------------------------|
 * | `ada`      | 1234567890123456789   | 200: Ada Lovelace (@ada_emu), email ada@example.com, lang en |
 * | `grace`    | 1987654321987654321   | 200: Grace Hopper (@grace_emu), `email: null`, no lang      |
 * | `revoked`  | 1234567890123456789   | 401 code 89 (the user revoked the app)                      |
 * | `otherApp` | 1234567890123456789   | 401 code 89 (issued to `TWITTER_OTHER_APP`)                 |
 *
 * Any token signed with a wrong token secret or consumer secret: 401 code 32.
 */
export const TWITTER_TEST_TOKENS = {
  ada: {
    token: '1234567890123456789-EmuAdaAccessTokenA1b2C3d4E5',
    secret: 'EmuAdaTokenSecretLswwdoUaIvS8ltyTt5jkRh4J50',
    userId: '1234567890123456789',
  },
  grace: {
    token: '1987654321987654321-EmuGraceAccessTokenF6g7H8i9',
    secret: 'EmuGraceTokenSecretPQ2tYvR9mKx7Lc3Wn8Bz5Hd1',
    userId: '1987654321987654321',
  },
  revoked: {
    token: '1234567890123456789-EmuRevokedAccessTokenZ9y8X7',
    secret: 'EmuRevokedTokenSecretQw1Er2Ty3Ui4Op5As6Df7',
    userId: '1234567890123456789',
  },
  otherApp: {
    token: '1234567890123456789-EmuOtherAppAccessTokenM3n4',
    secret: 'EmuOtherAppTokenSecretGh8Jk9Lz0Xc1Vb2Nm3Qa4',
    userId: '1234567890123456789',
  },
} as const;

interface EmulatedUser {
  id_str: string;
  name: string;
  screen_name: string;
  email: string | null;
  lang: string | null;
}

const USERS: Readonly<Record<string, EmulatedUser>> = {
  '1234567890123456789': { id_str: '1234567890123456789', name: 'Ada Lovelace', screen_name: 'ada_emu', email: 'ada@example.com', lang: 'en' },
  '1987654321987654321': { id_str: '1987654321987654321', name: 'Grace Hopper', screen_name: 'grace_emu', email: null, lang: null },
};

interface TokenRecord {
  secret: string;
  consumerKey: string;
  userId: string;
  revoked: boolean;
}

const CONSUMERS: ReadonlyMap<string, string> = new Map([
  [TWITTER_APP.client_id, TWITTER_APP.client_secret],
  [TWITTER_OTHER_APP.client_id, TWITTER_OTHER_APP.client_secret],
]);

const issued = (
  entry: { token: string; secret: string; userId: string },
  consumerKey: string,
  revoked = false,
): [string, TokenRecord] => [entry.token, { secret: entry.secret, userId: entry.userId, consumerKey, revoked }];

const TOKENS: ReadonlyMap<string, TokenRecord> = new Map([
  issued(TWITTER_TEST_TOKENS.ada, TWITTER_APP.client_id),
  issued(TWITTER_TEST_TOKENS.grace, TWITTER_APP.client_id),
  issued(TWITTER_TEST_TOKENS.revoked, TWITTER_APP.client_id, true),
  issued(TWITTER_TEST_TOKENS.otherApp, TWITTER_OTHER_APP.client_id),
]);

export const VERIFY_CREDENTIALS_PATH = '/1.1/account/verify_credentials.json';

export interface TwitterEmulatorOptions extends EmulatorOptions {
  /** The emulator's clock in epoch ms (default Date.now), for the timestamp window. */
  now?: () => number;
  /** Accepted distance between oauth_timestamp and the clock, in seconds (default 300). */
  timestampWindowSeconds?: number;
}

export type TwitterEmulatorHandle = EmulatorHandle & { endpoints: Record<string, string> };

export const startTwitterEmulator = async (options: TwitterEmulatorOptions = {}): Promise<TwitterEmulatorHandle> => {
  const now = options.now ?? Date.now;
  const windowSeconds = options.timestampWindowSeconds ?? 300;
  // RFC 5849 section 3.3: a nonce may be used once per timestamp/token combination.
  const seenNonces = new Map<string, number>();

  const route = (request: EmulatorRequest): EmulatorAnswer => {
    if (request.path !== VERIFY_CREDENTIALS_PATH || request.method !== 'GET') {
      return xError(404, 34, 'Sorry, that page does not exist.');
    }
    const auth = parseAuthorizationHeader(firstHeader(request.headers.authorization));
    const consumerKey = auth?.get('oauth_consumer_key');
    const token = auth?.get('oauth_token');
    const signature = auth?.get('oauth_signature');
    const timestamp = Number(auth?.get('oauth_timestamp'));
    const nonce = auth?.get('oauth_nonce');
    const version = auth?.get('oauth_version');
    if (!auth || !consumerKey || !token || !signature || !nonce || !Number.isInteger(timestamp)) {
      return xError(400, 215, 'Bad Authentication data.');
    }
    if (auth.get('oauth_signature_method') !== 'HMAC-SHA1' || (version !== undefined && version !== '1.0')) {
      return couldNotAuthenticate();
    }

    const consumerSecret = CONSUMERS.get(consumerKey);
    if (consumerSecret === undefined) return couldNotAuthenticate();
    const nowSeconds = Math.floor(now() / 1000);
    if (Math.abs(nowSeconds - timestamp) > windowSeconds) return xError(401, 135, 'Timestamp out of bounds.');

    const tokenRecord = TOKENS.get(token);
    if (!tokenRecord || tokenRecord.revoked || tokenRecord.consumerKey !== consumerKey) {
      return xError(401, 89, 'Invalid or expired token.');
    }

    const signed = [...auth].filter(([name]) => name !== 'oauth_signature' && name !== 'realm');
    // Collected from the request as received (not via the signer's helper), so a signer
    // that forgets the query or the form body fails here.
    const form = isForm(request) ? [...new URLSearchParams(request.body)] : [];
    const baseString = signatureBaseString(request.method, request.url, [...request.query, ...form, ...signed]);
    const expected = hmacSha1Signature(baseString, consumerSecret, tokenRecord.secret);
    if (!sameText(expected, signature)) return couldNotAuthenticate();

    const nonceKey = `${consumerKey}|${token}|${timestamp}|${nonce}`;
    if (seenNonces.has(nonceKey)) return couldNotAuthenticate();
    forgetOldNonces(seenNonces, nowSeconds - windowSeconds);
    seenNonces.set(nonceKey, timestamp);

    const user = USERS[tokenRecord.userId];
    if (!user) return xError(404, 50, 'User not found.');
    return { status: 200, json: userJson(user, request.query.get('include_email') === 'true') };
  };

  // X answers a spent per-user window (verify_credentials: 75 calls per 15 minutes per user
  // token) with 429 code 88 and the window's x-rate-limit-* headers.
  const rateLimitAnswer = (): EmulatorAnswer => ({
    ...xError(429, 88, 'Rate limit exceeded'),
    headers: {
      'x-rate-limit-limit': '75',
      'x-rate-limit-remaining': '0',
      'x-rate-limit-reset': String(Math.floor(now() / 1000) + 15 * 60),
    },
  });
  const handle = await startEmulator('twitter', route, options, { rateLimit: rateLimitAnswer });
  return { ...handle, endpoints: { verify_credentials: `${handle.url}${VERIFY_CREDENTIALS_PATH}` } };
};

const userJson = (user: EmulatedUser, includeEmail: boolean) => ({
  id: rawJsonNumber(user.id_str),
  id_str: user.id_str,
  name: user.name,
  screen_name: user.screen_name,
  location: '',
  description: '',
  url: null,
  protected: false,
  followers_count: 42,
  friends_count: 7,
  created_at: 'Wed Oct 10 20:19:24 +0000 2018',
  verified: false,
  profile_image_url: `http://pbs.twimg.com/profile_images/${user.id_str}/emu_normal.jpg`,
  profile_image_url_https: `https://pbs.twimg.com/profile_images/${user.id_str}/emu_normal.jpg`,
  default_profile_image: false,
  lang: user.lang,
  ...(includeEmail ? { email: user.email } : {}),
});

/**
 * The id as a bare JSON number, digits intact where the runtime can write raw JSON
 * (JSON.rawJSON, Node 22+); on older runtimes the nearest double is written, which is
 * just as wrong as X's own ids become once a JSON parser reads them into a double.
 */
const rawJsonNumber = (digits: string): unknown => {
  const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;
  return rawJSON ? rawJSON(digits) : Number(digits);
};

const xError = (status: number, code: number, message: string): EmulatorAnswer => ({
  status,
  json: { errors: [{ code, message }] },
});

const couldNotAuthenticate = () => xError(401, 32, 'Could not authenticate you.');

const firstHeader = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const isForm = (request: EmulatorRequest): boolean =>
  (firstHeader(request.headers['content-type']) ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

const sameText = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

const forgetOldNonces = (nonces: Map<string, number>, oldestTimestamp: number) => {
  if (nonces.size < 1_000) return;
  for (const [key, timestamp] of nonces) if (timestamp < oldestTimestamp) nonces.delete(key);
};
