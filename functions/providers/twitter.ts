import * as v from 'valibot';
import { errors } from '../core/errors.js';
import { asRecord, compactClaims, optionalText } from './claims.js';
import { signRequest } from './oauth1.js';
import { endpointUrl, type NormalizedProfile, type ProviderAdapter } from './types.js';

/**
 * X/Twitter (OAuth 1.0a). A user token only authenticates together with the consumer
 * key/secret of the app it was issued to, so a successful signed `verify_credentials`
 * call proves both that the token is live and that it is ours (DESIGN section 4).
 */

/** X error codes (v1.1 `errors[].code`) worth telling apart in audit logs. */
const REJECTION_REASONS: Readonly<Record<number, string>> = {
  32: 'provider_bad_signature', // "Could not authenticate you.": wrong secret or another app's token
  89: 'provider_token_invalid', // "Invalid or expired token."
  135: 'provider_clock_skew', // "Timestamp out of bounds."
  64: 'provider_account_suspended',
  326: 'provider_account_locked',
};

/** v1.1 ids exceed 2^53, so only the decimal `id_str` is trusted; `id` is never read. */
const UserSchema = v.looseObject({
  id_str: v.pipe(v.string(), v.regex(/^\d{1,32}$/)),
});

const ErrorBodySchema = v.looseObject({
  errors: v.pipe(v.array(v.looseObject({ code: v.number() })), v.minLength(1)),
});

export const twitter: ProviderAdapter = {
  strategy: 'twitter',
  defaultEndpoints: {
    verify_credentials: 'https://api.x.com/1.1/account/verify_credentials.json',
  },
  requiresTokenSecret: true,

  async verify(request, options, context): Promise<NormalizedProfile> {
    const tokenSecret = request.accessTokenSecret;
    if (tokenSecret === undefined || tokenSecret === '') {
      // The exchange refuses this earlier; signing with an empty secret would only earn
      // a confusing code 32 from X.
      throw errors.missingParameter('access_token_secret');
    }

    const url = new URL(endpointUrl(twitter, options, 'verify_credentials'));
    url.searchParams.set('include_email', 'true');
    url.searchParams.set('skip_status', 'true');
    // Signed per attempt: a retry must carry a new nonce and timestamp (X refuses replays).
    const sign = () =>
      signRequest(
        { method: 'GET', url },
        {
          consumerKey: options.client_id,
          consumerSecret: options.client_secret,
          token: request.accessToken,
          tokenSecret,
        },
        { timestamp: Math.floor(context.now() / 1000) },
      );

    const response = await context.http.call({
      provider: 'twitter',
      endpoint: 'verify_credentials',
      method: 'GET',
      url: url.toString(),
      perAttemptHeaders: () => ({ authorization: sign().authorization }),
      idempotent: true,
      // verify_credentials is limited per user token (75 per 15 minutes): one user's 429
      // says nothing about anyone else's sign-in.
      rateLimitScope: 'user',
    });

    if (response.status >= 400) throw errors.invalidProviderToken(rejectionReason(response.body));

    const user = v.safeParse(UserSchema, response.body);
    if (!user.success) {
      throw errors.unavailable('twitter answered with an unexpected profile', 'provider_malformed');
    }
    const id = user.output.id_str;
    if (request.userId !== undefined && request.userId !== id) throw errors.invalidProviderToken('user_id_mismatch');

    const body = asRecord(response.body) ?? {};
    const email = optionalText(body.email);
    return {
      provider: 'twitter',
      provider_user_id: id,
      claims: compactClaims({
        name: optionalText(body.name),
        nickname: optionalText(body.screen_name),
        picture: optionalText(body.profile_image_url_https),
        // X only returns addresses it has verified, and only to apps allowed to ask.
        email,
        email_verified: email === undefined ? undefined : true,
        locale: optionalText(body.lang),
      }),
    };
  },
};

const rejectionReason = (body: unknown): string => {
  const parsed = v.safeParse(ErrorBodySchema, body);
  const code = parsed.success ? parsed.output.errors[0]?.code : undefined;
  return (code !== undefined && REJECTION_REASONS[code]) || 'provider_rejected_token';
};
