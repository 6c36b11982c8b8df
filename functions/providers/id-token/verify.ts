import { createHash } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { tokenEndpointErrors, isOAuthError } from '../../core/errors.js';
import { constantTimeEqual } from '../../core/constant-time.js';
import { STRATEGIES } from '../../core/strategies.js';
import { strategyOfIssuer, type IdTokenRules } from './rules.js';
import type { JwksCache } from './jwks-cache.js';
import type { ConnectionOptions } from '../../core/tenant.js';
import type { VerifiedSubject } from '../../core/ports.js';

/** DESIGN section 10: 60 s on both `exp` and `iat`. */
export const CLOCK_LEEWAY_SECONDS = 60;

export interface IdTokenCheck {
  token: string;
  /** The raw nonce of the request; the token carries hex(SHA-256(raw)). */
  nonce?: string;
}

export interface IdTokenContext {
  jwks: JwksCache;
  /** Epoch ms. */
  now: () => number;
}

/** Lowercase hex SHA-256: the nonce convention (Firebase's) the app follows. */
export const hashNonce = (raw: string): string => createHash('sha256').update(raw, 'utf8').digest('hex');

/** The unverified `iss` names a strategy (connection selection only; verification pins it again). */
export const strategyOfIdToken = (token: string): string | undefined => {
  try {
    return strategyOfIssuer(decodeJwt(token).iss);
  } catch {
    return undefined;
  }
};

const refuse = (reason: string, cause?: unknown) => tokenEndpointErrors.invalidSubjectToken(reason, cause);

/**
 * Verifies a provider ID token for a connection: JWS with RS256 only (jose; `none` and HS*
 * never), the key by `kid` from the provider's cached JWKS, the pinned issuer, our audience
 * (client_id or allowed_audiences), `exp`/`iat` within 60 s of leeway, and the nonce.
 * Returns the profile and the single-use key; throws `invalid subject_token` or a 503.
 */
export const verifyIdToken = async (
  check: IdTokenCheck,
  rules: IdTokenRules,
  options: ConnectionOptions,
  context: IdTokenContext,
): Promise<VerifiedSubject> => {
  const jwksUrl = options.endpoints?.jwks ?? STRATEGIES[rules.strategy].endpoints.jwks!;
  const audiences = [options.client_id, ...(options.allowed_audiences ?? [])];
  const nowSeconds = Math.floor(context.now() / 1000);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(check.token, context.jwks.resolver(rules.provider, jwksUrl), {
      algorithms: ['RS256'],
      issuer: [...rules.issuers],
      audience: audiences,
      clockTolerance: CLOCK_LEEWAY_SECONDS,
      currentDate: new Date(nowSeconds * 1000),
      requiredClaims: ['exp', 'iat', 'sub'],
    }));
  } catch (error) {
    if (isOAuthError(error)) throw error; // the JWKS could not be fetched: 503
    throw refuse(joseReason(error), error);
  }
  // jose checks `iat` only against a maximum age; a token from the future is refused here.
  if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + CLOCK_LEEWAY_SECONDS) throw refuse('iat_in_future');
  if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 255) throw refuse('bad_sub');
  checkNonce(payload, check.nonce, rules, options.require_nonce === true);

  return {
    profile: { provider: rules.strategy, provider_user_id: payload.sub, claims: rules.claims(payload) },
    // The token's own hash: Google's tokens have no jti, and a hash names exactly this token.
    singleUse: {
      key: createHash('sha256').update(check.token).digest('base64url'),
      expiresAt: (payload.exp as number) + CLOCK_LEEWAY_SECONDS,
    },
  };
};

/**
 * DESIGN section 10, nonce: a token nonce needs the request's raw value (hashed, compared in
 * constant time); a request nonce needs a token nonce, except on Apple devices that say
 * `nonce_supported: false`; `require_nonce` makes both mandatory.
 */
const checkNonce = (payload: JWTPayload, rawNonce: string | undefined, rules: IdTokenRules, required: boolean): void => {
  const claim = payload.nonce;
  if (claim !== undefined && typeof claim !== 'string') throw refuse('nonce_malformed');
  if (required && (claim === undefined || rawNonce === undefined)) throw refuse('nonce_required');
  if (claim !== undefined) {
    if (rawNonce === undefined) throw refuse('nonce_missing');
    if (!constantTimeEqual(hashNonce(rawNonce), claim)) throw refuse('nonce_mismatch');
    return;
  }
  if (rawNonce === undefined) return;
  const nonceSupported = payload.nonce_supported;
  if (rules.honoursNonceSupported && (nonceSupported === false || nonceSupported === 'false')) return;
  throw refuse('nonce_not_in_token');
};

/** A bounded reason per jose failure, for audit logs and metrics (never the token). */
const joseReason = (error: unknown): string => {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim_${error.claim}`.replace(/[^a-z0-9_]/g, '_').slice(0, 40);
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'unknown_kid';
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'ambiguous_kid';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'malformed';
  return 'invalid';
};
