import { createHmac } from 'node:crypto';
import * as v from 'valibot';
import { errors } from '../core/errors.js';
import { allSettledOrThrow, compactClaims, idString, integerish, lenientText } from './claims.js';
import { providerRateLimited, type ProviderResponse, type RateLimitScope } from './http.js';
import { endpointUrl, type NormalizedProfile, type ProfileClaims, type ProviderAdapter } from './types.js';

/**
 * Facebook Login (DESIGN section 4). Two Graph API calls run concurrently:
 * - `debug_token`, authenticated with the app access token `APPID|APPSECRET`, proves the
 *   token is valid, is a USER token, and was issued to OUR app (token substitution defence);
 * - `me`, called with the user's token plus `appsecret_proof`, returns the profile. The proof
 *   (HMAC-SHA256 of the token keyed with our app secret) is refused by Graph for a token of
 *   another app, a second, independent binding to our app.
 */
const PROVIDER = 'facebook';
const PROFILE_FIELDS = 'id,name,first_name,last_name,email,picture';

/**
 * Graph `OAuthException` subcodes (code 190) meaning the user or Facebook withdrew the
 * session: 458 app removed, 459 checkpoint, 460 password changed, 464 unconfirmed user,
 * 492 invalid session. 463 is a plain expiry; anything else is just an invalid token.
 */
const REVOKED_SUBCODES = new Set([458, 459, 460, 464, 492]);
const EXPIRED_SUBCODE = 463;
/** Graph "invalid parameter" code used for a wrong `appsecret_proof`. */
const INVALID_PARAMETER_CODE = 100;

/** hex(HMAC-SHA256(key = app secret, message = access token)), as Graph expects it. */
export const appsecretProof = (accessToken: string, appSecret: string): string =>
  createHmac('sha256', appSecret).update(accessToken).digest('hex');

const GraphErrorSchema = v.object({
  error: v.looseObject({
    code: v.optional(integerish),
    error_subcode: v.optional(integerish),
    is_transient: v.optional(v.boolean()),
  }),
});

/**
 * Graph's temporary failures (1 unknown/temporary, 2 service, 4/17/32/613 rate limits,
 * 341 app limit): they can arrive as HTTP 4xx, but the token is not at fault, so they are
 * 503s, not 401s that would make apps drop their sessions.
 */
const TRANSIENT_CODES = new Set([1, 2, 4, 17, 32, 341, 613]);

/**
 * Graph's rate-limit codes by what they limit (DESIGN section 12): 4 is the app's own
 * request budget, spent for every user alike; 17 (user), 32 (page) and 613 (per-call-type
 * limits) concern one user or token, so they must not stop sign-in for everyone.
 */
const APP_RATE_LIMIT_CODES = new Set([4]);
const USER_RATE_LIMIT_CODES = new Set([17, 32, 613]);

const rateLimitScopeOf = (code: number | undefined): RateLimitScope | undefined =>
  code === undefined ? undefined : APP_RATE_LIMIT_CODES.has(code) ? 'app' : USER_RATE_LIMIT_CODES.has(code) ? 'user' : undefined;

/** For an HTTP 429 from Graph: app-wide only when the body says code 4. */
const scopeOf429 = (body: unknown): RateLimitScope => rateLimitScopeOf(graphErrorOf(body)?.code) ?? 'user';

const throwIfTransient = (body: unknown): void => {
  const error = graphErrorOf(body);
  const scope = rateLimitScopeOf(error?.code);
  if (scope !== undefined) throw providerRateLimited(PROVIDER, scope);
  if (error && (error.is_transient === true || (error.code !== undefined && TRANSIENT_CODES.has(error.code)))) {
    throw errors.unavailable('facebook is rate limiting or temporarily unavailable', 'provider_rate_limited');
  }
};

/**
 * Reason of the 503 for Graph refusing our own app token on debug_token (wrong app id or
 * secret in the connection, or a reset secret): an operator's problem, counted by its own
 * metric and alarm, not a 401 that would tell every user their token is bad.
 */
export const FACEBOOK_APP_TOKEN_REJECTED = 'facebook_app_token_rejected';

const DebugTokenSchema = v.object({
  data: v.looseObject({
    is_valid: v.boolean(),
    // debug_token spells it `subcode` inside `data.error`, unlike the top-level error shape.
    error: v.optional(v.looseObject({ code: v.optional(integerish), subcode: v.optional(integerish) })),
  }),
});

/** Read first: a token of another app, or an APP token (which has no user_id), is a 401. */
const GrantOwnerSchema = v.looseObject({
  app_id: idString,
  type: v.string(),
});

const ValidGrantSchema = v.looseObject({
  user_id: idString,
  expires_at: integerish,
  data_access_expires_at: v.optional(integerish),
});

const MeSchema = v.looseObject({
  id: idString,
  name: lenientText,
  first_name: lenientText,
  last_name: lenientText,
  email: lenientText,
  picture: v.optional(v.unknown()),
});

export type FacebookMe = v.InferOutput<typeof MeSchema>;

const malformed = (what: string) =>
  errors.unavailable(`${PROVIDER} answered ${what} with an unexpected body`, 'provider_malformed');

/** The 401 reason for a Graph token error, from its code and subcode. */
export const graphRejectionReason = (code: number | undefined, subcode: number | undefined): string => {
  if (code === INVALID_PARAMETER_CODE) return 'facebook_appsecret_proof_rejected';
  if (subcode === EXPIRED_SUBCODE) return 'expired';
  if (subcode !== undefined && REVOKED_SUBCODES.has(subcode)) return 'revoked';
  return 'invalid_token';
};

const graphErrorOf = (body: unknown) => {
  const parsed = v.safeParse(GraphErrorSchema, body);
  return parsed.success ? parsed.output.error : undefined;
};

/** The user id the token belongs to, once every "issued to our app" rule holds. */
const checkDebugToken = (response: ProviderResponse, appId: string, nowMs: number): string => {
  if (response.status >= 400) {
    throwIfTransient(response.body);
    // debug_token answers a bad *input* token with 200 and is_valid=false; a 4xx means Graph
    // refused our app access token (wrong app id or secret in the connection).
    throw errors.unavailable('facebook refused this service\'s app credentials', FACEBOOK_APP_TOKEN_REJECTED);
  }
  const parsed = v.safeParse(DebugTokenSchema, response.body);
  if (!parsed.success) throw malformed('debug_token');
  const { data } = parsed.output;
  if (data.is_valid !== true) throw errors.invalidProviderToken(graphRejectionReason(data.error?.code, data.error?.subcode));

  const owner = v.safeParse(GrantOwnerSchema, data);
  if (!owner.success) throw malformed('debug_token');
  if (owner.output.app_id !== appId) throw errors.invalidProviderToken('facebook_app_mismatch');
  if (owner.output.type !== 'USER') throw errors.invalidProviderToken('facebook_not_user_token');
  const grant = v.safeParse(ValidGrantSchema, data);
  if (!grant.success) throw malformed('debug_token');
  const { user_id, expires_at, data_access_expires_at } = grant.output;
  // expires_at 0 is how debug_token reports a token that never expires (the Access Token
  // Debugger shows "Never"); is_valid above remains the authority for those.
  if (expires_at !== 0 && expires_at * 1000 <= nowMs) throw errors.invalidProviderToken('expired');
  // Past data_access_expires_at the user's 90-day consent to share data has lapsed: Graph
  // would refuse the profile, so the login must be re-consented in the app.
  if (data_access_expires_at !== undefined && data_access_expires_at !== 0 && data_access_expires_at * 1000 <= nowMs) {
    throw errors.invalidProviderToken('data_access_expired');
  }
  return user_id;
};

const readMe = (response: ProviderResponse): FacebookMe => {
  if (response.status >= 400) {
    throwIfTransient(response.body);
    const error = graphErrorOf(response.body);
    throw errors.invalidProviderToken(graphRejectionReason(error?.code, error?.error_subcode));
  }
  const parsed = v.safeParse(MeSchema, response.body);
  if (!parsed.success) throw malformed('me');
  return parsed.output;
};

/** `picture` arrives as `{ data: { url, width, height, is_silhouette } }`. */
const pictureUrl = (picture: unknown): string | undefined => {
  if (typeof picture !== 'object' || picture === null) return undefined;
  const data = (picture as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null) return undefined;
  const url = (data as { url?: unknown }).url;
  return typeof url === 'string' && url !== '' ? url : undefined;
};

/** OIDC claims of a Graph `me` answer. Facebook never vouches for emails (DESIGN section 2). */
export const facebookClaims = (me: FacebookMe): ProfileClaims =>
  compactClaims({
    name: me.name,
    given_name: me.first_name,
    family_name: me.last_name,
    picture: pictureUrl(me.picture),
    email: me.email,
    email_verified: false,
  });

export const facebook: ProviderAdapter = {
  strategy: 'facebook',
  defaultEndpoints: {
    debug_token: 'https://graph.facebook.com/v25.0/debug_token',
    me: 'https://graph.facebook.com/v25.0/me',
  },
  requiresTokenSecret: false,

  async verify(request, options, context): Promise<NormalizedProfile> {
    const token = request.accessToken;
    const [debug, me] = await allSettledOrThrow([
      context.http.call({
        provider: PROVIDER,
        endpoint: 'debug_token',
        method: 'GET',
        url: endpointUrl(facebook, options, 'debug_token'),
        searchParams: { input_token: token, access_token: `${options.client_id}|${options.client_secret}` },
        idempotent: true,
        rateLimitScope: scopeOf429,
      }),
      context.http.call({
        provider: PROVIDER,
        endpoint: 'me',
        method: 'GET',
        url: endpointUrl(facebook, options, 'me'),
        searchParams: {
          fields: PROFILE_FIELDS,
          access_token: token,
          appsecret_proof: appsecretProof(token, options.client_secret),
        },
        idempotent: true,
        rateLimitScope: scopeOf429,
      }),
    ]);

    // debug_token first: when both fail, "issued to another app" is the more useful reason.
    const userId = checkDebugToken(debug, options.client_id, context.now());
    const profile = readMe(me);
    if (profile.id !== userId) throw errors.invalidProviderToken('facebook_user_mismatch');
    return { provider: 'facebook', provider_user_id: profile.id, claims: facebookClaims(profile) };
  },
};
