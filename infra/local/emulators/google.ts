import { randomBytes } from 'node:crypto';
import { createIdTokenIssuer, type IdTokenIssuer } from './id-tokens.js';
import { startEmulator, type EmulatorAnswer, type EmulatorHandle, type EmulatorOptions, type EmulatorRequest } from './server.js';

/**
 * Loopback emulator of the two Google endpoints the adapter calls, with their real shapes:
 * - `GET /tokeninfo?access_token=T` (oauth2.googleapis.com): 200 with every scalar as a
 *   string (`"exp"`, `"expires_in"`, `"email_verified"`), or HTTP 400
 *   `{"error":"invalid_token","error_description":"Invalid Value"}` for any unusable token
 *   (expired, revoked and unknown look the same);
 * - `GET /v1/userinfo` with `Authorization: Bearer T` (openidconnect.googleapis.com): the
 *   OIDC claims with a real boolean `email_verified`, or HTTP 401 with a Bearer challenge.
 * Expiry times are computed per request, so a long-running `npm start` keeps them valid.
 */

const PROJECT = '246813579024';

/** Our OAuth clients: put these in the `google-oauth2` connection's `options`. */
export const GOOGLE_APP = {
  client_id: `${PROJECT}-emulatorweb4k2v9q8s1n5r7t.apps.googleusercontent.com`,
  client_secret: 'GOCSPX-emulator-not-a-real-secret',
  allowed_audiences: [
    `${PROJECT}-emulatorandroid7h3m2x6c9b1z.apps.googleusercontent.com`,
    `${PROJECT}-emulatorios5p8w2e4y6u0i3o.apps.googleusercontent.com`,
  ],
};

export const GOOGLE_ANDROID_CLIENT_ID = GOOGLE_APP.allowed_audiences[0] as string;

/** An OAuth client of another Google Cloud project: its tokens are not ours. */
export const OTHER_GOOGLE_CLIENT_ID = '135792468013-someoneelse0a1b2c3d4e5f6.apps.googleusercontent.com';

export interface GoogleAccount {
  /** Google's stable subject: a decimal string of about 21 digits. */
  sub: string;
  name: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
  locale?: string;
  email?: string;
  email_verified?: boolean;
  /** Google Workspace domain. */
  hd?: string;
}

export interface GoogleTokenGrant {
  /** The OAuth client that obtained the token (`azp`; `aud` is the same for access tokens). */
  clientId: string;
  account: GoogleAccount;
  scopes: string[];
  /** Seconds from now until expiry; <= 0 means expired. */
  expiresIn: number;
  revoked?: boolean;
  /** Test hook: how tokeninfo names the user (`sub`, the legacy `user_id`, or not at all). */
  subjectField?: 'sub' | 'user_id' | 'none';
  /** Test hook: the subject tokeninfo reports instead of the account's `sub`. */
  tokenInfoSubject?: string;
}

/** The accounts behind the catalogue's tokens. */
export const GOOGLE_USERS = {
  alice: {
    sub: '109876543210987654321',
    name: 'Alice Liddell',
    given_name: 'Alice',
    family_name: 'Liddell',
    picture: 'https://lh3.googleusercontent.com/a/ACg8ocEmulatorAlice0000000000=s96-c',
    locale: 'en',
    email: 'alice.liddell@gmail.com',
    email_verified: true,
  },
  bob: {
    sub: '104455667788990011223',
    name: 'Bob Marley',
    given_name: 'Bob',
    family_name: 'Marley',
    picture: 'https://lh3.googleusercontent.com/a/ACg8ocEmulatorBob000000000000=s96-c',
    locale: 'fr',
    email: 'bob.marley@gmail.com',
    email_verified: true,
  },
  carol: {
    sub: '117788990011223344556',
    name: 'Carol Danvers',
    given_name: 'Carol',
    family_name: 'Danvers',
    picture: 'https://lh3.googleusercontent.com/a/ACg8ocEmulatorCarol00000000=s96-c',
    email: 'carol@example.com',
    email_verified: false,
  },
} as const satisfies Record<string, GoogleAccount>;

/**
 * Test tokens (plain strings: use them as `access_token` with connection `google-oauth2`):
 *
 * | token                            | what Google says                                                  | exchange |
 * |----------------------------------|-------------------------------------------------------------------|----------|
 * | `google-valid-alice`             | web client token; Alice, verified Gmail address, locale `en`       | 200      |
 * | `google-valid-bob-no-email`      | web client token without the `email` scope: no email at all        | 200      |
 * | `google-valid-carol-android`     | `azp`/`aud` = the allowed Android client; email NOT verified        | 200      |
 * | `google-expired-alice`           | tokeninfo 400 invalid_token; userinfo 401                         | 401      |
 * | `google-revoked-alice`           | same answers as expired (Google does not tell them apart)          | 401      |
 * | `google-other-app-alice`         | valid, but `aud`/`azp` = OTHER_GOOGLE_CLIENT_ID (userinfo still 200!) | 401   |
 * | anything else                    | tokeninfo 400 invalid_token; userinfo 401                         | 401      |
 */
export const GOOGLE_TEST_TOKENS = {
  alice: 'google-valid-alice',
  bobNoEmail: 'google-valid-bob-no-email',
  carolAndroid: 'google-valid-carol-android',
  expired: 'google-expired-alice',
  revoked: 'google-revoked-alice',
  otherApp: 'google-other-app-alice',
  unknown: 'google-not-a-token',
} as const;

const SCOPE = {
  openid: 'openid',
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
};
const fullScopes = [SCOPE.openid, SCOPE.email, SCOPE.profile];
const HOUR = 3_600;

const CATALOGUE: Record<string, GoogleTokenGrant> = {
  [GOOGLE_TEST_TOKENS.alice]: { clientId: GOOGLE_APP.client_id, account: GOOGLE_USERS.alice, scopes: fullScopes, expiresIn: HOUR },
  [GOOGLE_TEST_TOKENS.bobNoEmail]: { clientId: GOOGLE_APP.client_id, account: GOOGLE_USERS.bob, scopes: [SCOPE.openid, SCOPE.profile], expiresIn: HOUR },
  [GOOGLE_TEST_TOKENS.carolAndroid]: { clientId: GOOGLE_ANDROID_CLIENT_ID, account: GOOGLE_USERS.carol, scopes: fullScopes, expiresIn: HOUR },
  [GOOGLE_TEST_TOKENS.expired]: { clientId: GOOGLE_APP.client_id, account: GOOGLE_USERS.alice, scopes: fullScopes, expiresIn: -HOUR },
  [GOOGLE_TEST_TOKENS.revoked]: { clientId: GOOGLE_APP.client_id, account: GOOGLE_USERS.alice, scopes: fullScopes, expiresIn: HOUR, revoked: true },
  [GOOGLE_TEST_TOKENS.otherApp]: { clientId: OTHER_GOOGLE_CLIENT_ID, account: GOOGLE_USERS.alice, scopes: fullScopes, expiresIn: HOUR },
};

export interface GoogleEmulatorOptions extends EmulatorOptions {
  /** Extra tokens (merged over the catalogue), for tests that need an unusual grant. */
  tokens?: Record<string, GoogleTokenGrant>;
}

/** Also serves `GET /oauth2/v3/certs` and mints ID tokens (Credential Manager's), see id-tokens.ts. */
export type GoogleEmulatorHandle = EmulatorHandle & { endpoints: Record<string, string>; idTokens: IdTokenIssuer };

/** Own keys only: a token such as `__proto__` must not resolve to Object.prototype. */
const grantFor = (tokens: Record<string, GoogleTokenGrant>, token: string) =>
  Object.hasOwn(tokens, token) ? tokens[token] : undefined;

const usable = (grant: GoogleTokenGrant | undefined): grant is GoogleTokenGrant =>
  grant !== undefined && !grant.revoked && grant.expiresIn > 0;

const invalidToken: EmulatorAnswer = { status: 400, json: { error: 'invalid_token', error_description: 'Invalid Value' } };

const tokenInfo = (request: EmulatorRequest, tokens: Record<string, GoogleTokenGrant>): EmulatorAnswer => {
  const token = request.query.get('access_token');
  if (!token) {
    return { status: 400, json: { error: 'invalid_request', error_description: 'either access_token, id_token, or token_handle required' } };
  }
  const grant = grantFor(tokens, token);
  if (!usable(grant)) return invalidToken;
  const now = Math.floor(Date.now() / 1000);
  const { account } = grant;
  const subjectField = grant.subjectField ?? 'sub';
  const hasEmail = grant.scopes.includes(SCOPE.email) && account.email !== undefined;
  return {
    status: 200,
    json: {
      azp: grant.clientId,
      aud: grant.clientId,
      ...(subjectField === 'none' ? {} : { [subjectField]: grant.tokenInfoSubject ?? account.sub }),
      scope: grant.scopes.join(' '),
      exp: String(now + grant.expiresIn),
      expires_in: String(grant.expiresIn),
      ...(hasEmail ? { email: account.email, email_verified: String(account.email_verified === true) } : {}),
      access_type: 'online',
    },
  };
};

const userInfo = (request: EmulatorRequest, tokens: Record<string, GoogleTokenGrant>): EmulatorAnswer => {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header) : null;
  const grant = match?.[1] === undefined ? undefined : grantFor(tokens, match[1]);
  if (!usable(grant)) {
    return {
      status: 401,
      json: { error: 'invalid_request', error_description: 'Invalid Credentials' },
      headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
    };
  }
  const { account } = grant;
  const withProfile = grant.scopes.includes(SCOPE.profile);
  const withEmail = grant.scopes.includes(SCOPE.email) && account.email !== undefined;
  return {
    status: 200,
    json: {
      sub: account.sub,
      ...(withProfile
        ? {
            name: account.name,
            given_name: account.given_name,
            family_name: account.family_name,
            picture: account.picture,
            locale: account.locale,
          }
        : {}),
      ...(withEmail ? { email: account.email, email_verified: account.email_verified === true } : {}),
      ...(account.hd ? { hd: account.hd } : {}),
    },
  };
};

/**
 * Google APIs spell "quota exhausted" as HTTP 429 with an RPC status body; it concerns the
 * Cloud project, whichever user's token the call carried.
 */
const rateLimitAnswer = (): EmulatorAnswer => ({
  status: 429,
  json: {
    error: {
      code: 429,
      message: "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'oauth2.googleapis.com'.",
      status: 'RESOURCE_EXHAUSTED',
    },
  },
  headers: { 'retry-after': '20' },
});

export const startGoogleEmulator = async (options: GoogleEmulatorOptions = {}): Promise<GoogleEmulatorHandle> => {
  const tokens = { ...CATALOGUE, ...options.tokens };
  // Android's Credential Manager: `aud` is the web (server) client, `azp` the Android client.
  const idTokens = createIdTokenIssuer({
    issuer: 'https://accounts.google.com',
    jwksPath: '/oauth2/v3/certs',
    defaults: () => {
      const { hd: _hd, ...account } = GOOGLE_USERS.alice as GoogleAccount;
      // at_hash differs per token, as for Google's own tokens minted in the same second.
      return { aud: GOOGLE_APP.client_id, azp: GOOGLE_ANDROID_CLIENT_ID, at_hash: randomBytes(16).toString('base64url'), ...account };
    },
  });
  const handle = await startEmulator(
    'google',
    (request) => {
      const idTokenAnswer = idTokens.route(request);
      if (idTokenAnswer) return idTokenAnswer;
      if (request.method !== 'GET') return undefined;
      if (request.path === '/tokeninfo') return tokenInfo(request, tokens);
      if (request.path === '/v1/userinfo') return userInfo(request, tokens);
      return undefined;
    },
    options,
    { rateLimit: rateLimitAnswer },
  );
  return {
    ...handle,
    idTokens,
    endpoints: {
      tokeninfo: `${handle.url}/tokeninfo`,
      userinfo: `${handle.url}/v1/userinfo`,
      jwks: `${handle.url}/oauth2/v3/certs`,
    },
  };
};
