import type { RuntimeConfig } from '../config.js';
import type { ServiceEndpoints } from '../clients.js';
import { recordProviderCall } from '../core/metrics.js';
import { createSubjectVerifier } from '../providers/subject-verifier.js';
import { createSingleUseStore } from '../store/single-use.js';
import { createRefreshTokenStore } from '../store/refresh-tokens.js';
import { createTokenIssuingRuntime } from '../token-issuing-runtime.js';
import type { TokenEndpointDependencies } from '../core/token-endpoint.js';
import type { EdgeDependencies } from '../http/edge.js';

/** The composition root of `POST /oauth/token`: its collaborators, built once per container. */
export const createOAuthTokenDependencies = (
  config: RuntimeConfig,
  endpoints: ServiceEndpoints = {},
): TokenEndpointDependencies & { prefetch(): void; edge: EdgeDependencies } => {
  const { client, ...shared } = createTokenIssuingRuntime(config, endpoints);
  return {
    ...shared,
    refreshTokens: createRefreshTokenStore({ client, tableName: config.tableName }),
    singleUse: createSingleUseStore({ client, tableName: config.tableName }),
    subjects: createSubjectVerifier({
      timeoutMs: config.providerTimeoutMs,
      observe: recordProviderCall,
      jwksCooldownMs: config.jwksCooldownMs,
    }),
  };
};
