import { errors } from '../core/errors.js';
import { asRecord, compactClaims, optionalText, parseIdString, parseIntegerish } from './claims.js';
import {
  endpointUrl,
  type ConnectionOptions,
  type NormalizedProfile,
  type ProviderAdapter,
  type ProviderContext,
  type ProviderRequest,
} from './types.js';

/**
 * Sina Weibo (OAuth 2.0). `get_token_info` names the app a token was issued to
 * (`appkey`) and its user (`uid`); `users/show` then reads that user's profile. The
 * second call needs the uid from the first, so the two cannot run in parallel.
 */

/** Weibo `error_code`s that mean "slow down", not "bad token" (open.weibo.com Error_code). */
const RATE_LIMIT_CODES = new Set([10004, 10022, 10023, 10024]);
/** Weibo's own failures (system error, service unavailable, remote error, busy, RPC error). */
const SYSTEM_ERROR_CODES = new Set([10001, 10002, 10003, 10009, 10011]);

const REJECTION_REASONS: Readonly<Record<number, string>> = {
  21327: 'provider_token_expired', // expired_token
  21332: 'provider_token_invalid', // invalid_access_token
  21314: 'provider_token_invalid', // token used
  21315: 'provider_token_expired', // token expired
  21316: 'provider_token_invalid', // token revoked
  21317: 'provider_token_invalid', // token rejected
  21319: 'provider_token_revoked', // authorization revoked by the user
  21301: 'provider_token_invalid', // auth failed
};

export const weibo: ProviderAdapter = {
  strategy: 'weibo',
  defaultEndpoints: {
    get_token_info: 'https://api.weibo.com/oauth2/get_token_info',
    users_show: 'https://api.weibo.com/2/users/show.json',
  },
  requiresTokenSecret: false,

  async verify(request, options, context): Promise<NormalizedProfile> {
    const uid = await tokenOwner(request, options, context);
    if (request.userId !== undefined && request.userId !== uid) throw errors.invalidProviderToken('user_id_mismatch');

    const url = new URL(endpointUrl(weibo, options, 'users_show'));
    url.searchParams.set('uid', uid);
    url.searchParams.set('access_token', request.accessToken);
    const user = successBody(
      await context.http.call({
        provider: 'weibo',
        endpoint: 'users_show',
        method: 'GET',
        url: url.toString(),
        idempotent: true,
      }),
    );

    // `id` is an int64 that JSON.parse may round; `idstr` is the exact decimal.
    const idstr = typeof user.idstr === 'string' ? parseIdString(user.idstr) : undefined;
    if (idstr === undefined) throw malformed('users_show');
    if (idstr !== uid) throw errors.invalidProviderToken('uid_mismatch');

    const screenName = optionalText(user.screen_name);
    return {
      provider: 'weibo',
      provider_user_id: idstr,
      claims: compactClaims({
        name: screenName ?? optionalText(user.name),
        nickname: screenName,
        picture: optionalText(user.avatar_large) ?? optionalText(user.profile_image_url),
        locale: optionalText(user.lang),
      }),
    };
  },
};

/** Proves the token is live and issued to `options.client_id`; returns its user's uid. */
const tokenOwner = async (
  request: ProviderRequest,
  options: ConnectionOptions,
  context: ProviderContext,
): Promise<string> => {
  const info = successBody(
    await context.http.call({
      provider: 'weibo',
      endpoint: 'get_token_info',
      // A POST only because Weibo documents it so: it reads and changes nothing, so a
      // retry after a 5xx or a dropped connection is safe.
      method: 'POST',
      url: endpointUrl(weibo, options, 'get_token_info'),
      form: { access_token: request.accessToken },
      idempotent: true,
    }),
  );

  // The docs show `appkey` as a JSON number while typing it "string"; compare as text.
  const appkey = scalarText(info.appkey);
  // Current docs spell it `expire_in`, the 2012 revision `expires_in`; either may be a string.
  const expiresIn = parseIntegerish(info.expire_in ?? info.expires_in);
  const uid = parseIdString(info.uid);
  if (appkey === undefined || expiresIn === undefined || uid === undefined) throw malformed('get_token_info');
  if (appkey !== options.client_id) throw errors.invalidProviderToken('provider_token_other_app');
  if (expiresIn <= 0) throw errors.invalidProviderToken('provider_token_expired');
  return uid;
};

/**
 * The JSON object of a 2xx answer. Weibo reports token problems as 4xx with
 * `{"error", "error_code", "request"}`; a 2xx carrying `error_code` is treated the same way.
 */
const successBody = (response: { status: number; body: unknown }): Record<string, unknown> => {
  const body = asRecord(response.body);
  const errorCode = body === undefined ? undefined : parseIntegerish(body.error_code);
  if (response.status >= 400 || errorCode !== undefined) {
    if (errorCode !== undefined && RATE_LIMIT_CODES.has(errorCode)) {
      throw errors.unavailable('weibo is rate limiting requests', 'provider_rate_limited');
    }
    if (errorCode !== undefined && SYSTEM_ERROR_CODES.has(errorCode)) {
      throw errors.unavailable('weibo reported an internal error', 'provider_unavailable');
    }
    throw errors.invalidProviderToken((errorCode !== undefined && REJECTION_REASONS[errorCode]) || 'provider_rejected_token');
  }
  if (body === undefined) throw malformed('response');
  return body;
};

const scalarText = (value: unknown): string | undefined => {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
};

const malformed = (what: string) => errors.unavailable(`weibo answered with an unexpected ${what}`, 'provider_malformed');
