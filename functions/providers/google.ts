import * as v from 'valibot';
import { errors } from '../core/errors.js';
import { allSettledOrThrow, compactClaims, integerish, lenientText, parseBooleanish } from './claims.js';
import type { ProviderResponse } from './http.js';
import { endpointUrl, type NormalizedProfile, type ProfileClaims, type ProviderAdapter } from './types.js';

/**
 * Google Sign-In (DESIGN section 4). Two calls run concurrently with the same token:
 * - `tokeninfo` says which OAuth client the token was issued to (`aud`/`azp`) and how long
 *   it lives; that client must be ours (web client_id or an allowed Android/iOS client);
 * - OIDC `userinfo` (Bearer) returns the profile.
 * Both answers describe the same token, so `userinfo.sub` must match tokeninfo's subject.
 */
const PROVIDER = 'google';

/** tokeninfo sends `exp`, `expires_in` and `email_verified` as strings ("3599", "true"). */
const TokenInfoSchema = v.looseObject({
  aud: v.optional(v.string()),
  azp: v.optional(v.string()),
  sub: v.optional(v.pipe(v.string(), v.nonEmpty())),
  // Older tokeninfo answers identify the user with `user_id` (same value as `sub`).
  user_id: v.optional(v.pipe(v.string(), v.nonEmpty())),
  expires_in: v.optional(integerish),
  // Absolute expiry (epoch seconds); only consulted when `expires_in` is absent.
  exp: v.optional(integerish),
});

const UserInfoSchema = v.looseObject({
  sub: v.pipe(v.string(), v.nonEmpty()),
  name: lenientText,
  given_name: lenientText,
  family_name: lenientText,
  picture: lenientText,
  locale: lenientText,
  email: lenientText,
  email_verified: v.optional(v.unknown()),
});

export type GoogleUserInfo = v.InferOutput<typeof UserInfoSchema>;

const malformed = (what: string) =>
  errors.unavailable(`${PROVIDER} answered ${what} with an unexpected body`, 'provider_malformed');

/** Whether the token was issued to one of our OAuth clients. */
export const isOurAudience = (
  token: { aud?: string | undefined; azp?: string | undefined },
  clientId: string,
  allowedAudiences: readonly string[] = [],
): boolean => {
  const ours = new Set([clientId, ...allowedAudiences]);
  return (token.aud !== undefined && ours.has(token.aud)) || (token.azp !== undefined && ours.has(token.azp));
};

/**
 * The subject tokeninfo vouches for, or undefined when it names none. Google only includes
 * `sub` (or the legacy `user_id`) for tokens carrying an identity scope; without one the
 * audience check still binds the token to our app and userinfo (called with that very
 * token) is the only source of the subject, so the cross-check is skipped rather than
 * failing a valid login.
 */
const checkTokenInfo = (
  response: ProviderResponse,
  clientId: string,
  allowedAudiences: readonly string[] | undefined,
  nowMs: number,
): string | undefined => {
  // tokeninfo does not tell expired, revoked and forged tokens apart: all are HTTP 400
  // {"error":"invalid_token","error_description":"Invalid Value"}.
  if (response.status >= 400) throw errors.invalidProviderToken('invalid_token');
  const parsed = v.safeParse(TokenInfoSchema, response.body);
  if (!parsed.success) throw malformed('tokeninfo');
  const info = parsed.output;
  if (info.aud === undefined && info.azp === undefined) throw malformed('tokeninfo');
  if (!isOurAudience(info, clientId, allowedAudiences)) throw errors.invalidProviderToken('google_audience_mismatch');
  // expires_in is relative, so our clock's skew cannot accept a token Google calls expired;
  // `exp` is the fallback for an answer that carries only the absolute time.
  if (info.expires_in !== undefined) {
    if (info.expires_in <= 0) throw errors.invalidProviderToken('expired');
  } else if (info.exp !== undefined) {
    if (info.exp * 1000 <= nowMs) throw errors.invalidProviderToken('expired');
  } else {
    throw malformed('tokeninfo');
  }
  return info.sub ?? info.user_id;
};

const readUserInfo = (response: ProviderResponse): GoogleUserInfo => {
  // 401 for an invalid/expired token, 403 when the token lacks the openid/profile scopes.
  if (response.status >= 400) throw errors.invalidProviderToken(response.status === 403 ? 'insufficient_scope' : 'invalid_token');
  const parsed = v.safeParse(UserInfoSchema, response.body);
  if (!parsed.success) throw malformed('userinfo');
  return parsed.output;
};

/** OIDC claims of a userinfo answer; `email_verified` is true only when Google says so. */
export const googleClaims = (user: GoogleUserInfo): ProfileClaims =>
  compactClaims({
    name: user.name,
    given_name: user.given_name,
    family_name: user.family_name,
    picture: user.picture,
    locale: user.locale,
    email: user.email,
    email_verified: parseBooleanish(user.email_verified) === true,
  });

export const google: ProviderAdapter = {
  strategy: 'google-oauth2',
  defaultEndpoints: {
    tokeninfo: 'https://oauth2.googleapis.com/tokeninfo',
    userinfo: 'https://openidconnect.googleapis.com/v1/userinfo',
  },
  requiresTokenSecret: false,

  async verify(request, options, context): Promise<NormalizedProfile> {
    const token = request.accessToken;
    const [tokenInfo, userInfo] = await allSettledOrThrow([
      context.http.call({
        provider: PROVIDER,
        endpoint: 'tokeninfo',
        method: 'GET',
        url: endpointUrl(google, options, 'tokeninfo'),
        searchParams: { access_token: token },
        idempotent: true,
        // Google's 429 is the project's quota, shared by every user.
        rateLimitScope: 'app',
      }),
      context.http.call({
        provider: PROVIDER,
        endpoint: 'userinfo',
        method: 'GET',
        url: endpointUrl(google, options, 'userinfo'),
        headers: { authorization: `Bearer ${token}` },
        idempotent: true,
        rateLimitScope: 'app',
      }),
    ]);

    // tokeninfo first: when both fail, "issued to another app" is the more useful reason.
    const subject = checkTokenInfo(tokenInfo, options.client_id, options.allowed_audiences, context.now());
    const user = readUserInfo(userInfo);
    if (subject !== undefined && subject !== user.sub) throw errors.invalidProviderToken('google_user_mismatch');
    return { provider: 'google-oauth2', provider_user_id: user.sub, claims: googleClaims(user) };
  },
};
