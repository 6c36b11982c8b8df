import { errors, tokenEndpointErrors } from '../core/errors.js';
import { providers, isStrategy } from './registry.js';
import { createProviderVerifier, type VerifierOptions } from './verifier.js';
import type { SubjectVerifier } from '../core/ports.js';

/**
 * The providers behind POST /oauth/token's subject tokens. The `access_token` type runs
 * exactly the legacy adapters (DESIGN section 10: the checks of section 4).
 */
export const createSubjectVerifier = (options: VerifierOptions = {}): SubjectVerifier => {
  const legacy = createProviderVerifier(options);
  return {
    strategyOfIdToken() {
      return undefined;
    },
    async verify(connection, subject) {
      if (!isStrategy(connection.strategy)) throw tokenEndpointErrors.subjectTokenTypeNotAccepted();
      if (subject.kind === 'access_token') {
        if (providers[connection.strategy].requiresTokenSecret && !subject.accessTokenSecret) {
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
          if (error instanceof Error && 'status' in error && error.status === 401) {
            throw tokenEndpointErrors.invalidSubjectToken((error as { reason?: string }).reason ?? 'provider_rejected', error);
          }
          throw error;
        }
      }
      // ID tokens and Apple codes: issue 12, phase 2.
      throw tokenEndpointErrors.invalidSubjectToken('not_supported_yet');
    },
  };
};
