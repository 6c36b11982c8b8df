import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createIdTokenIssuer, type IdTokenIssuer } from './id-tokens.js';
import { startEmulator, type EmulatorAnswer, type EmulatorHandle, type EmulatorOptions, type EmulatorRequest } from './server.js';

/**
 * Loopback emulator of the two Graph API endpoints the Facebook adapter calls:
 * `GET /v25.0/debug_token` and `GET /v25.0/me`, with Graph's real success and error shapes
 * (errors are HTTP 400 `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`;
 * debug_token reports a bad *input* token as 200 with `data.is_valid: false`).
 *
 * It checks for real what Graph checks: debug_token needs the app access token
 * `APPID|APPSECRET` of a known app, and /me needs `appsecret_proof` =
 * hex(HMAC-SHA256(key = secret of the app that issued the token, message = token)).
 * Expiry times are computed per request, so a long-running `npm start` keeps them valid.
 */

/** Our app: put these in the `facebook` connection's `options`. */
export const FACEBOOK_APP = {
  client_id: '1471395123456789',
  client_secret: '5f0c2e9a7b3d4c1e8f6a0b2d4c6e8f0a',
} as const;

/** Somebody else's app; its users' tokens must be refused by our exchange. */
export const OTHER_FACEBOOK_APP = {
  client_id: '2093847561029384',
  client_secret: '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
} as const;

export const FACEBOOK_GRAPH_VERSION = 'v25.0';

export interface FacebookProfile {
  /** App-scoped user id: a string, and beyond 2^53 for real users. */
  id: string;
  name: string;
  first_name?: string;
  last_name?: string;
  /** Absent for accounts registered with a phone number. */
  email?: string;
  picture: { data: { height: number; width: number; is_silhouette: boolean; url: string } };
}

export interface FacebookTokenGrant {
  /** The app the token was issued to. */
  app: { client_id: string; client_secret: string };
  profile: FacebookProfile;
  /** `APP`: an app access token, which debug_token describes without any `user_id`. */
  type: 'USER' | 'PAGE' | 'APP';
  /** Seconds from now until expiry; negative = already expired; 0 = never expires. */
  expiresIn: number;
  /** `revoked`: the user removed the app (Graph subcode 458). */
  state: 'active' | 'revoked';
  scopes: string[];
  /** Test hook: the `user_id` debug_token reports instead of the profile's id. */
  debugUserId?: string;
}

const picture = (asid: string, isSilhouette = false): FacebookProfile['picture'] => ({
  data: {
    height: 50,
    width: 50,
    is_silhouette: isSilhouette,
    url: `https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=${asid}&height=50&width=50&ext=1767225600&hash=AbEmulator`,
  },
});

/** The users behind the catalogue's tokens (ids are app-scoped, as on Graph). */
export const FACEBOOK_USERS = {
  alice: {
    id: '10224567890123456',
    name: 'Alice Liddell',
    first_name: 'Alice',
    last_name: 'Liddell',
    email: 'alice.liddell@example.com',
    picture: picture('10224567890123456'),
  },
  bob: {
    id: '10160987654321098',
    name: 'Bob Marley',
    first_name: 'Bob',
    last_name: 'Marley',
    picture: picture('10160987654321098', true),
  },
  /** Alice as seen by OTHER_FACEBOOK_APP: app-scoped ids differ per app. */
  aliceForOtherApp: {
    id: '10229876543210123',
    name: 'Alice Liddell',
    first_name: 'Alice',
    last_name: 'Liddell',
    email: 'alice.liddell@example.com',
    picture: picture('10229876543210123'),
  },
  page: {
    id: '104857392019283',
    name: 'Wonderland Tea Parties',
    picture: picture('104857392019283'),
  },
} as const satisfies Record<string, FacebookProfile>;

/**
 * Test tokens (plain strings: use them as `access_token` with connection `facebook`):
 *
 * | token                        | what Graph says                                                      | exchange |
 * |------------------------------|----------------------------------------------------------------------|----------|
 * | `fb-valid-alice`             | valid USER token of our app; Alice, with email and picture           | 200      |
 * | `fb-valid-bob-no-email`      | valid USER token of our app; Bob, no email (phone sign-up)           | 200      |
 * | `fb-valid-alice-never-expires` | valid, `expires_at: 0` (debug_token's "never expires")             | 200      |
 * | `fb-expired-alice`           | debug_token `is_valid:false`, subcode 463; /me 400 code 190/463      | 401      |
 * | `fb-revoked-alice`           | Alice removed the app: `is_valid:false`, subcode 458; /me 400 190/458 | 401      |
 * | `fb-other-app-alice`         | valid, but issued to OTHER_FACEBOOK_APP: `data.app_id` differs and our appsecret_proof is refused (400, code 100) | 401 |
 * | `fb-page-token`              | valid token of our app but `type: "PAGE"`                            | 401      |
 * | `fb-app-token-other-app`     | an APP token of OTHER_FACEBOOK_APP: `type: "APP"`, no `user_id`       | 401      |
 * | anything else                | "Invalid OAuth access token" (debug_token 200 is_valid:false; /me 400 code 190) | 401 |
 */
export const FACEBOOK_TEST_TOKENS = {
  alice: 'fb-valid-alice',
  bobNoEmail: 'fb-valid-bob-no-email',
  aliceNeverExpires: 'fb-valid-alice-never-expires',
  expired: 'fb-expired-alice',
  revoked: 'fb-revoked-alice',
  otherApp: 'fb-other-app-alice',
  page: 'fb-page-token',
  otherAppsAppToken: 'fb-app-token-other-app',
  unknown: 'fb-not-a-token',
} as const;

const DAY = 86_400;
const LONG_LIVED = 60 * DAY;
const loginScopes = ['email', 'public_profile'];

/**
 * A user of our app with a generated id and name (Bob's profile, without an email): for the
 * load test and the burst benchmark, which need many distinct identities.
 */
export const generatedFacebookUser = (id: bigint, name: string): FacebookTokenGrant => ({
  app: FACEBOOK_APP,
  profile: { ...FACEBOOK_USERS.bob, id: String(id), name, email: undefined },
  type: 'USER',
  expiresIn: 3_600,
  state: 'active',
  scopes: ['public_profile'],
});

const CATALOGUE: Record<string, FacebookTokenGrant> = {
  [FACEBOOK_TEST_TOKENS.alice]: { app: FACEBOOK_APP, profile: FACEBOOK_USERS.alice, type: 'USER', expiresIn: LONG_LIVED, state: 'active', scopes: loginScopes },
  [FACEBOOK_TEST_TOKENS.bobNoEmail]: { app: FACEBOOK_APP, profile: FACEBOOK_USERS.bob, type: 'USER', expiresIn: LONG_LIVED, state: 'active', scopes: ['public_profile'] },
  [FACEBOOK_TEST_TOKENS.aliceNeverExpires]: { app: FACEBOOK_APP, profile: FACEBOOK_USERS.alice, type: 'USER', expiresIn: 0, state: 'active', scopes: loginScopes },
  [FACEBOOK_TEST_TOKENS.expired]: { app: FACEBOOK_APP, profile: FACEBOOK_USERS.alice, type: 'USER', expiresIn: -3_600, state: 'active', scopes: loginScopes },
  [FACEBOOK_TEST_TOKENS.revoked]: { app: FACEBOOK_APP, profile: FACEBOOK_USERS.alice, type: 'USER', expiresIn: LONG_LIVED, state: 'revoked', scopes: loginScopes },
  [FACEBOOK_TEST_TOKENS.otherApp]: { app: OTHER_FACEBOOK_APP, profile: FACEBOOK_USERS.aliceForOtherApp, type: 'USER', expiresIn: LONG_LIVED, state: 'active', scopes: loginScopes },
  [FACEBOOK_TEST_TOKENS.otherAppsAppToken]: { app: OTHER_FACEBOOK_APP, profile: FACEBOOK_USERS.page, type: 'APP', expiresIn: 0, state: 'active', scopes: [] },
  [FACEBOOK_TEST_TOKENS.page]: { app: FACEBOOK_APP, profile: FACEBOOK_USERS.page, type: 'PAGE', expiresIn: 0, state: 'active', scopes: ['pages_show_list'] },
};

const KNOWN_APPS = [FACEBOOK_APP, OTHER_FACEBOOK_APP];
const APP_NAMES: Record<string, string> = {
  [FACEBOOK_APP.client_id]: 'Token Exchange (emulated)',
  [OTHER_FACEBOOK_APP.client_id]: 'Someone Else (emulated)',
};

export interface FacebookEmulatorOptions extends EmulatorOptions {
  /** Extra tokens (merged over the catalogue), for tests that need an unusual grant. */
  tokens?: Record<string, FacebookTokenGrant>;
}

/** Also serves Limited Login's JWKS and mints its ID tokens (iOS SDK 17+), see id-tokens.ts. */
export type FacebookEmulatorHandle = EmulatorHandle & { endpoints: Record<string, string>; idTokens: IdTokenIssuer };

/** Own keys only: a token such as `__proto__` must not resolve to Object.prototype. */
const grantFor = (tokens: Record<string, FacebookTokenGrant>, token: string) =>
  Object.hasOwn(tokens, token) ? tokens[token] : undefined;

const traceId = () => randomBytes(8).toString('base64url');

const graphError = (
  message: string,
  code: number,
  extra: { type?: string; error_subcode?: number } = {},
): EmulatorAnswer => {
  const type = extra.type ?? 'OAuthException';
  return {
    status: 400,
    json: {
      error: {
        message,
        type,
        code,
        ...(extra.error_subcode === undefined ? {} : { error_subcode: extra.error_subcode }),
        fbtrace_id: traceId(),
      },
    },
    // Graph adds an RFC 6750-style challenge to OAuth failures only.
    ...(type === 'OAuthException'
      ? { headers: { 'www-authenticate': `OAuth "Facebook Platform" "invalid_token" "${message.replace(/"/g, "'")}"` } }
      : {}),
  };
};

const sameText = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

const graphDate = (epochSeconds: number) => new Date(epochSeconds * 1000).toUTCString();

/** Why Graph refuses a token, or undefined while it is usable. */
const tokenProblem = (grant: FacebookTokenGrant, now: number) => {
  if (grant.state === 'revoked') {
    return {
      subcode: 458,
      message: `Error validating access token: The user has not authorized application ${grant.app.client_id}.`,
    };
  }
  if (grant.expiresIn < 0) {
    return {
      subcode: 463,
      message: `Error validating access token: Session has expired on ${graphDate(now + grant.expiresIn)}. The current time is ${graphDate(now)}.`,
    };
  }
  return undefined;
};

const debugToken = (request: EmulatorRequest, tokens: Record<string, FacebookTokenGrant>): EmulatorAnswer => {
  const appToken = request.query.get('access_token');
  if (!appToken) return graphError('An access token is required to request this resource.', 104);
  const isAppToken = KNOWN_APPS.some((app) => sameText(appToken, `${app.client_id}|${app.client_secret}`));
  if (!isAppToken) return graphError('Invalid OAuth access token signature.', 190);
  const input = request.query.get('input_token');
  if (!input) return graphError('(#100) The parameter input_token is required', 100);

  const grant = grantFor(tokens, input);
  if (!grant) {
    return { status: 200, json: { data: { error: { code: 190, message: 'Invalid OAuth access token.' }, is_valid: false, scopes: [] } } };
  }
  const now = Math.floor(Date.now() / 1000);
  const problem = tokenProblem(grant, now);
  const isPage = grant.type === 'PAGE';
  return {
    status: 200,
    json: {
      data: {
        app_id: grant.app.client_id,
        type: grant.type,
        application: APP_NAMES[grant.app.client_id] ?? 'Unknown app',
        data_access_expires_at: now + 90 * DAY,
        expires_at: grant.expiresIn === 0 ? 0 : now + grant.expiresIn,
        is_valid: problem === undefined,
        ...(grant.expiresIn === LONG_LIVED ? { issued_at: now - 3_600 } : {}),
        ...(isPage ? { profile_id: grant.profile.id } : {}),
        scopes: grant.scopes,
        ...(grant.type === 'APP' ? {} : { user_id: grant.debugUserId ?? (isPage ? FACEBOOK_USERS.alice.id : grant.profile.id) }),
        ...(problem ? { error: { code: 190, message: problem.message, subcode: problem.subcode } } : {}),
      },
    },
  };
};

const me = (request: EmulatorRequest, tokens: Record<string, FacebookTokenGrant>): EmulatorAnswer => {
  const token = request.query.get('access_token') ?? bearerToken(request);
  if (!token) return graphError('An active access token must be used to query information about the current user.', 2500);
  const grant = grantFor(tokens, token);
  if (!grant) return graphError('Invalid OAuth access token - Cannot parse access token', 190);
  const problem = tokenProblem(grant, Math.floor(Date.now() / 1000));
  if (problem) return graphError(problem.message, 190, { error_subcode: problem.subcode });
  if (grant.type === 'APP') return graphError('An active access token must be used to query information about the current user.', 2500);

  // Apps that enable "Require App Secret" (as ours must) get these two GraphMethodExceptions.
  const proof = request.query.get('appsecret_proof');
  if (!proof) return graphError('API calls from the server require an appsecret_proof argument', 100, { type: 'GraphMethodException' });
  const expected = createHmac('sha256', grant.app.client_secret).update(token).digest('hex');
  if (!sameText(proof, expected)) {
    return graphError('Invalid appsecret_proof provided in the API argument', 100, { type: 'GraphMethodException' });
  }

  const fields = (request.query.get('fields') ?? 'id,name').split(',').map((field) => field.trim());
  const profile: Record<string, unknown> = {};
  for (const field of fields) {
    if (field === 'email' && !grant.scopes.includes('email')) continue;
    const value = (grant.profile as unknown as Record<string, unknown>)[field];
    if (value !== undefined) profile[field] = value;
  }
  profile.id = grant.profile.id;
  return { status: 200, json: profile };
};

const bearerToken = (request: EmulatorRequest) => {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^(?:Bearer|OAuth)\s+(.+)$/i.exec(header) : null;
  return match?.[1];
};

/**
 * Graph's rate-limit errors (HTTP 400, `is_transient`): code 4 when the app's own call budget
 * is spent (with the `x-app-usage` header at 100%), code 17 for one user's.
 */
const rateLimitAnswer = (scope: 'app' | 'user'): EmulatorAnswer => {
  const [code, message] = scope === 'app' ? [4, '(#4) Application request limit reached'] : [17, '(#17) User request limit reached'];
  return {
    status: 400,
    json: { error: { message, type: 'OAuthException', is_transient: true, code, fbtrace_id: traceId() } },
    headers: scope === 'app' ? { 'x-app-usage': JSON.stringify({ call_count: 100, total_cputime: 12, total_time: 31 }) } : {},
  };
};

const ROUTE = /^\/v\d+\.\d+\/(debug_token|me)\/?$/;

export const startFacebookEmulator = async (options: FacebookEmulatorOptions = {}): Promise<FacebookEmulatorHandle> => {
  const tokens = { ...CATALOGUE, ...options.tokens };
  // Limited Login: `sub` is the app-scoped user id (the same as Graph's for this app), `jti` always.
  const idTokens = createIdTokenIssuer({
    issuer: 'https://www.facebook.com',
    jwksPath: '/.well-known/oauth/openid/jwks/',
    defaults: () => ({
      aud: FACEBOOK_APP.client_id,
      sub: FACEBOOK_USERS.alice.id,
      jti: randomUUID(),
      name: FACEBOOK_USERS.alice.name,
      given_name: FACEBOOK_USERS.alice.first_name,
      family_name: FACEBOOK_USERS.alice.last_name,
      email: FACEBOOK_USERS.alice.email,
      picture: FACEBOOK_USERS.alice.picture.data.url,
    }),
  });
  const handle = await startEmulator(
    'facebook',
    (request) => {
      const idTokenAnswer = idTokens.route(request);
      if (idTokenAnswer) return idTokenAnswer;
      const match = ROUTE.exec(request.path);
      if (!match || request.method !== 'GET') return undefined;
      return match[1] === 'debug_token' ? debugToken(request, tokens) : me(request, tokens);
    },
    options,
    { rateLimit: rateLimitAnswer },
  );
  return {
    ...handle,
    idTokens,
    endpoints: {
      debug_token: `${handle.url}/${FACEBOOK_GRAPH_VERSION}/debug_token`,
      me: `${handle.url}/${FACEBOOK_GRAPH_VERSION}/me`,
      jwks: `${handle.url}/.well-known/oauth/openid/jwks/`,
    },
  };
};
