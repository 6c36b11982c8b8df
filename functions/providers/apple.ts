import { importPKCS8, SignJWT } from 'jose';
import { errors, tokenEndpointErrors } from '../core/errors.js';
import { STRATEGIES } from '../core/strategies.js';
import { asRecord, optionalText } from './claims.js';
import type { ProviderHttp } from './http.js';
import type { ConnectionOptions } from '../core/tenant.js';

/**
 * Sign in with Apple's server side (DESIGN section 10): the ES256 client-secret JWT, the
 * authorization-code exchange and the revocation of Apple's refresh token. The identity
 * token itself is verified by id-token/verify.ts like Google's and Facebook's.
 */
const PROVIDER = 'apple';
export const APPLE_AUDIENCE = 'https://appleid.apple.com';

/** Apple accepts at most 6 months (15777000 s); a day is plenty for a per-container cache. */
export const CLIENT_SECRET_LIFETIME_SECONDS = 24 * 60 * 60;
/** Renewed this long before it expires, so no request carries a secret about to lapse. */
const RENEW_BEFORE_SECONDS = 10 * 60;

const endpoint = (options: ConnectionOptions, name: 'token' | 'revoke'): string =>
  options.endpoints?.[name] ?? STRATEGIES.apple.endpoints[name]!;

export interface AppleClient {
  /** Exchanges an authorization code; returns Apple's ID token and refresh token. */
  exchangeCode(code: string, options: ConnectionOptions): Promise<{ idToken: string; refreshToken?: string }>;
  /** Revokes a refresh token at Apple (account deletion, Apple TN3194). */
  revoke(refreshToken: string, options: ConnectionOptions): Promise<void>;
}

/**
 * The client secret: header `{alg: ES256, kid: key_id}`, claims `iss` team_id, `sub`
 * client_id, `aud` https://appleid.apple.com, `iat`, `exp`.
 */
export const signClientSecret = async (options: ConnectionOptions, nowSeconds: number): Promise<string> => {
  if (!options.team_id || !options.key_id || !options.private_key) {
    throw errors.unexpected(new Error('apple connection without team_id, key_id and private_key cannot exchange codes'));
  }
  const key = await importPKCS8(options.private_key, 'ES256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: options.key_id })
    .setIssuer(options.team_id)
    .setSubject(options.client_id)
    .setAudience(APPLE_AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + CLIENT_SECRET_LIFETIME_SECONDS)
    .sign(key);
};

export const createAppleClient = (context: { http: ProviderHttp; now: () => number }): AppleClient => {
  // Per container, by the options that make the secret (a changed key makes a new one).
  const secrets = new Map<string, { secret: Promise<string>; renewAt: number }>();
  const clientSecret = (options: ConnectionOptions): Promise<string> => {
    const cacheKey = JSON.stringify([options.client_id, options.team_id, options.key_id, options.private_key]);
    const nowSeconds = Math.floor(context.now() / 1000);
    const hit = secrets.get(cacheKey);
    if (hit && hit.renewAt > nowSeconds) return hit.secret;
    const secret = signClientSecret(options, nowSeconds);
    if (secrets.size >= 16) secrets.clear();
    secrets.set(cacheKey, { secret, renewAt: nowSeconds + CLIENT_SECRET_LIFETIME_SECONDS - RENEW_BEFORE_SECONDS });
    secret.catch(() => secrets.delete(cacheKey));
    return secret;
  };

  return {
    async exchangeCode(code, options) {
      const response = await context.http.call({
        provider: PROVIDER,
        endpoint: 'token',
        method: 'POST',
        url: endpoint(options, 'token'),
        form: { client_id: options.client_id, client_secret: await clientSecret(options), code, grant_type: 'authorization_code' },
        // A code is single use: a retry after a lost answer would only be refused.
        idempotent: false,
      });
      const body = asRecord(response.body);
      if (response.status >= 400) {
        // invalid_grant: expired, used, or issued to another client; invalid_client: our secret.
        if (body?.error === 'invalid_client') {
          throw errors.unavailable('apple refused our client secret (check team_id, key_id, private_key)', 'apple_client_rejected');
        }
        throw tokenEndpointErrors.invalidSubjectToken('apple_code_rejected');
      }
      const idToken = optionalText(body?.id_token);
      if (!idToken) throw errors.unavailable('apple answered the code exchange without an id_token', 'provider_malformed');
      const refreshToken = optionalText(body?.refresh_token);
      return { idToken, ...(refreshToken ? { refreshToken } : {}) };
    },

    async revoke(refreshToken, options) {
      const response = await context.http.call({
        provider: PROVIDER,
        endpoint: 'revoke',
        method: 'POST',
        url: endpoint(options, 'revoke'),
        form: {
          client_id: options.client_id,
          client_secret: await clientSecret(options),
          token: refreshToken,
          token_type_hint: 'refresh_token',
        },
        // Revoking twice is harmless: safe to retry. Apple answers 200 with no body.
        idempotent: true,
        emptyBodyOk: true,
      });
      if (response.status >= 400) {
        const error = optionalText(asRecord(response.body)?.error) ?? `HTTP ${response.status}`;
        throw new Error(`apple refused the revocation (${error.slice(0, 40)})`);
      }
    },
  };
};
