import { errors } from '../core/errors.js';
import { issuerFromRequest, toHttpRequest, type ApiGatewayEvent } from '../http/event.js';
import { errorResponse, jsonResponse, type HttpResult } from '../http/response.js';
import type { SigningAlg } from '../config.js';

export interface DiscoveryDependencies {
  issuer: string | undefined;
  /** The active key's algorithm. */
  signingAlg: SigningAlg;
  jwks(): Promise<{ keys: readonly { alg?: string }[] }>;
}

const SCOPES = ['openid', 'profile', 'email', 'name', 'given_name', 'family_name', 'nickname', 'picture', 'locale'];
const CLAIMS = [
  'iss', 'sub', 'aud', 'iat', 'exp',
  'name', 'given_name', 'family_name', 'nickname', 'picture', 'locale', 'updated_at', 'email', 'email_verified',
];

/** OpenID Connect Discovery 1.0 section 3, for the issuer the client reached. */
export const discoveryDocument = (issuer: string, signingAlgs: SigningAlg[]) => ({
  issuer,
  jwks_uri: `${issuer}.well-known/jwks.json`,
  token_endpoint: `${issuer}oauth/access_token`,
  userinfo_endpoint: `${issuer}userinfo`,
  response_types_supported: ['token id_token'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: [...new Set(signingAlgs)],
  scopes_supported: SCOPES,
  claims_supported: CLAIMS,
  grant_types_supported: ['http://auth0.com/oauth/legacy/grant-type/access_token'],
  token_endpoint_auth_methods_supported: ['none'],
});

/**
 * Every algorithm a live token may carry: during an RS256 → ES256 migration verifiers must
 * accept both. Without KMS the document still answers, with the active algorithm only.
 */
const publishedAlgs = async (deps: DiscoveryDependencies): Promise<SigningAlg[]> => {
  try {
    const { keys } = await deps.jwks();
    return [deps.signingAlg, ...keys.map((key) => key.alg).filter((alg): alg is SigningAlg => alg === 'RS256' || alg === 'ES256')];
  } catch {
    return [deps.signingAlg];
  }
};

/** `GET /.well-known/openid-configuration` and `GET /.well-known/jwks.json`. */
export const handleDiscoveryEvent = async (event: ApiGatewayEvent, deps: DiscoveryDependencies): Promise<HttpResult> => {
  try {
    const http = toHttpRequest(event, 0);
    if (http.path.endsWith('/.well-known/openid-configuration')) {
      const issuer = deps.issuer ?? issuerFromRequest(http);
      return jsonResponse(200, discoveryDocument(issuer, await publishedAlgs(deps)), {
        'Cache-Control': 'public, max-age=3600',
      });
    }
    if (http.path.endsWith('/.well-known/jwks.json')) {
      // Short enough that a newly published key reaches verifiers well before it signs.
      return jsonResponse(200, await deps.jwks(), { 'Cache-Control': 'public, max-age=300' });
    }
    throw errors.badRequest('unknown discovery document', 'not_found');
  } catch (error) {
    return errorResponse(error);
  }
};
