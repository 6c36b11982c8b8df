import type { RuntimeConfig } from '../config.js';
import { KMS_DEADLINE_MS, kmsOnFirstUse, type ServiceEndpoints } from '../clients.js';
import { createKeyRing } from '../tokens/key-ring.js';
import type { DiscoveryDependencies } from './handle.js';

/** The discovery function's collaborators: KMS GetPublicKey only, no DynamoDB. */
export const createDiscoveryDependencies = (config: RuntimeConfig, endpoints: ServiceEndpoints = {}): DiscoveryDependencies => {
  const keyRing = createKeyRing({
    kms: kmsOnFirstUse(endpoints.kmsEndpoint),
    active: { keyId: config.signingKeyId, alg: config.signingAlg },
    retired: config.retiredKeyIds,
    timeoutMs: KMS_DEADLINE_MS,
  });
  return {
    issuer: config.issuer,
    signingAlg: config.signingAlg,
    jwks: () => keyRing.jwks(),
    ...(config.originVerifySecret ? { edge: { originVerifySecret: config.originVerifySecret } } : {}),
  };
};
