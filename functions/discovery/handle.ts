import { errors } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { claimNamesFor } from '../core/scope.js';
import { withTrailingSlash, type SigningAlg } from '../config.js';
import { issuerFromRequest, toHttpRequest } from '../http/event.js';
import { CORS_ROUTES } from '../http/cors.js';
import { withEdge, type EdgeDependencies } from '../http/edge.js';
import { errorResponse, jsonResponse, toOAuthError, type HttpResult } from '../http/response.js';

export interface DiscoveryDependencies {
  issuer: string | undefined;
  /** The active key's algorithm. */
  signingAlg: SigningAlg;
  jwks(): Promise<{ keys: readonly { alg?: string }[] }>;
  edge?: EdgeDependencies;
}

/**
 * Both documents describe the published keys (the JWKS its keys, discovery their algorithms),
 * so both expire alike. The rotation recipe (docs/key-rotation.md) waits at least this long
 * between publishing a key and signing with it.
 */
export const PUBLISHED_KEYS_MAX_AGE_SECONDS = 300;
const CACHEABLE = { 'Cache-Control': `public, max-age=${PUBLISHED_KEYS_MAX_AGE_SECONDS}` };

// Every claim a scope can release. Auth0's legacy flow also takes each claim name as a scope.
const RELEASABLE_CLAIMS = [...claimNamesFor(['profile', 'email'])];
const SCOPES = [...new Set(['openid', 'profile', 'email', ...RELEASABLE_CLAIMS])];
const CLAIMS = ['iss', 'sub', 'aud', 'iat', 'exp', ...RELEASABLE_CLAIMS];

/**
 * OpenID Connect Discovery 1.0 section 3. Every URL hangs off the issuer exactly as the
 * id_token's `iss` spells it (trailing slash included), so a verifier that knows only the
 * issuer finds the rest. There is no authorization endpoint: tokens come only from the
 * legacy access-token exchange.
 */
export const discoveryDocument = (issuer: string, signingAlgs: readonly SigningAlg[]) => {
  const base = withTrailingSlash(issuer);
  return {
    issuer: base,
    jwks_uri: `${base}.well-known/jwks.json`,
    token_endpoint: `${base}oauth/access_token`,
    userinfo_endpoint: `${base}userinfo`,
    response_types_supported: ['token id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(signingAlgs)],
    scopes_supported: SCOPES,
    claims_supported: CLAIMS,
    grant_types_supported: ['http://auth0.com/oauth/legacy/grant-type/access_token'],
    token_endpoint_auth_methods_supported: ['none'],
  };
};

const isSigningAlg = (alg: string | undefined): alg is SigningAlg => alg === 'RS256' || alg === 'ES256';

/**
 * Every algorithm a live token may carry, read off the key ring: during an RS256 → ES256
 * migration verifiers must accept both. `complete` is false when KMS could not be read; the
 * document then names the active algorithm only and must not be cached.
 */
const publishedAlgs = async (deps: DiscoveryDependencies): Promise<{ algs: SigningAlg[]; complete: boolean }> => {
  try {
    const { keys } = await deps.jwks();
    return { algs: [deps.signingAlg, ...keys.map((key) => key.alg).filter(isSigningAlg)], complete: true };
  } catch (error) {
    logger.warn('discovery without the published keys', { reason: toOAuthError(error).reason });
    return { algs: [deps.signingAlg], complete: false };
  }
};

/** `GET /.well-known/openid-configuration` and `GET /.well-known/jwks.json`. */
export const handleDiscoveryEvent = withEdge<DiscoveryDependencies>(CORS_ROUTES['/.well-known/openid-configuration'], async (event, deps): Promise<HttpResult> => {
  try {
    const http = toHttpRequest(event, 0);
    if (http.path.endsWith('/.well-known/openid-configuration')) {
      const issuer = deps.issuer ?? issuerFromRequest(http);
      const { algs, complete } = await publishedAlgs(deps);
      return jsonResponse(200, discoveryDocument(issuer, algs), complete ? CACHEABLE : { 'Cache-Control': 'no-store' });
    }
    if (http.path.endsWith('/.well-known/jwks.json')) {
      return jsonResponse(200, await deps.jwks(), CACHEABLE);
    }
    throw errors.badRequest('unknown discovery document', 'not_found');
  } catch (error) {
    return errorResponse(error);
  }
});
