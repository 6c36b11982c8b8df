import type { RuntimeConfig } from '../config.js';
import type { ServiceEndpoints } from '../clients.js';
import { recordProviderCall } from '../core/metrics.js';
import { createProviderVerifier } from '../providers/verifier.js';
import { createRefreshFamilyStarter } from '../store/refresh-families.js';
import { createTokenIssuingRuntime } from '../token-issuing-runtime.js';
import type { ExchangeDependencies } from '../core/exchange.js';
import type { EdgeDependencies } from '../http/edge.js';

/** The token function's collaborators, built once per container. */
export const createExchangeDependencies = (
  config: RuntimeConfig,
  endpoints: ServiceEndpoints = {},
): ExchangeDependencies & { prefetch(): void; edge: EdgeDependencies } => {
  const { client, ...shared } = createTokenIssuingRuntime(config, endpoints);
  return {
    ...shared,
    // The legacy endpoint only starts families; rotation lives at /oauth/token.
    refreshTokens: createRefreshFamilyStarter({ client, tableName: config.tableName }),
    verifier: createProviderVerifier({ timeoutMs: config.providerTimeoutMs, observe: recordProviderCall }),
  };
};
