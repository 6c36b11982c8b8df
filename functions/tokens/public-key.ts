import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import type { KmsSender } from '../clients.js';
import { errors } from '../core/errors.js';
import { callKms } from './kms-call.js';
import { jwkThumbprint, spkiToJwk, type PublicJwk } from './jwk.js';
import type { JwsAlgorithm } from './jwt.js';

export interface KmsPublicKey {
  keyId: string;
  /** KMS KeySpec, e.g. `RSA_2048`. */
  keySpec: string;
  /** The JWS algorithm this key can produce, undefined for key specs we do not sign with. */
  alg: JwsAlgorithm | undefined;
  jwk: PublicJwk;
  /** RFC 7638 thumbprint of `jwk`. */
  kid: string;
}

export const algForKeySpec = (keySpec: string): JwsAlgorithm | undefined => {
  if (keySpec.startsWith('RSA_')) return 'RS256';
  if (keySpec === 'ECC_NIST_P256') return 'ES256';
  return undefined;
};

export const fetchPublicKey = async (kms: KmsSender, keyId: string, timeoutMs: number): Promise<KmsPublicKey> => {
  const output = await callKms(timeoutMs, () => kms.send(new GetPublicKeyCommand({ KeyId: keyId })));
  const keySpec = output.KeySpec ?? output.CustomerMasterKeySpec;
  if (!output.PublicKey || !keySpec || output.KeyUsage !== 'SIGN_VERIFY') {
    throw errors.unexpected(new Error(`KMS key ${keyId} is not an asymmetric signing key`));
  }
  const jwk = spkiToJwk(output.PublicKey);
  return { keyId, keySpec, alg: algForKeySpec(keySpec), jwk, kid: jwkThumbprint(jwk) };
};

/** A key configured for `alg` must be able to produce it: a mismatch is a deployment mistake. */
export const requireAlg = (key: KmsPublicKey, alg: JwsAlgorithm): KmsPublicKey => {
  if (key.alg !== alg) {
    throw errors.unexpected(new Error(`KMS key ${key.keyId} has key spec ${key.keySpec}, which cannot produce ${alg}`));
  }
  return key;
};
