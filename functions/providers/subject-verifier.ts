import { errors, isOAuthError, tokenEndpointErrors } from '../core/errors.js';
import { accepts, STRATEGIES } from '../core/strategies.js';
import { createAppleClient } from './apple.js';
import { createProviderHttp } from './http.js';
import { createJwksCache } from './id-token/jwks-cache.js';
import { idTokenRulesFor } from './id-token/rules.js';
import { strategyOfIdToken, verifyIdToken } from './id-token/verify.js';
import { createProviderVerifier, type VerifierOptions } from './verifier.js';
import type { SubjectVerifier } from '../core/ports.js';

export interface SubjectVerifierOptions extends VerifierOptions {
  /** Unknown-kid refetch cool-down; default 60 s (DESIGN section 10). */
  jwksCooldownMs?: number;
}

/**
 * The providers behind POST /oauth/token's subject tokens:
 * - ID tokens: verified locally (id-token/verify.ts) against the cached JWKS;
 * - Apple codes: exchanged at Apple, then Apple's ID token is verified the same way;
 * - access tokens: exactly the legacy adapters (DESIGN section 4).
 */
export const createSubjectVerifier = (options: SubjectVerifierOptions = {}): SubjectVerifier => {
  const now = options.now ?? Date.now;
  const http = createProviderHttp(options);
  const legacy = createProviderVerifier(options);
  const jwks = createJwksCache({ http, now, ...(options.jwksCooldownMs !== undefined ? { cooldownMs: options.jwksCooldownMs } : {}) });
  const apple = createAppleClient({ http, now });

  return {
    strategyOfIdToken,

    async verify(connection, subject) {
      if (!accepts(connection.strategy, subject.kind)) throw tokenEndpointErrors.subjectTokenTypeNotAccepted();

      if (subject.kind === 'access_token') {
        if (STRATEGIES[connection.strategy].requiresTokenSecret && !subject.accessTokenSecret) {
          throw errors.missingParameter('access_token_secret');
        }
        try {
          const profile = await legacy.verify(connection, {
            accessToken: subject.token,
            ...(subject.accessTokenSecret ? { accessTokenSecret: subject.accessTokenSecret } : {}),
          });
          return { profile };
        } catch (error) {
          // The legacy 401 `invalid access_token` is `invalid_grant` here (DESIGN section 9).
          if (isOAuthError(error) && error.status === 401) throw tokenEndpointErrors.invalidSubjectToken(error.reason, error);
          throw error;
        }
      }

      const rules = idTokenRulesFor(connection.strategy);
      if (!rules) throw tokenEndpointErrors.subjectTokenTypeNotAccepted();
      const check = { ...(subject.nonce !== undefined ? { nonce: subject.nonce } : {}) };
      if (subject.kind === 'id_token') {
        return verifyIdToken({ token: subject.token, ...check }, rules, connection.options, { jwks, now });
      }
      // Without the signing key there is no client secret: such a connection takes identity tokens only.
      if (!connection.options.private_key) throw tokenEndpointErrors.subjectTokenTypeNotAccepted();
      // An Apple code: the ID token Apple returns for it is ours by construction (our
      // client secret), but it is verified all the same; it is fresh, so no single-use record.
      const exchanged = await apple.exchangeCode(subject.token, connection.options);
      const verified = await verifyIdToken({ token: exchanged.idToken, ...check }, rules, connection.options, { jwks, now });
      return {
        profile: verified.profile,
        ...(exchanged.refreshToken ? { providerRefreshToken: exchanged.refreshToken } : {}),
      };
    },
  };
};
