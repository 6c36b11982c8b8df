import { createHash } from 'node:crypto';
import type { KmsSender } from '../clients.js';
import { SignCommand, type SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { errors } from '../core/errors.js';
import { ecdsaDerToJose } from './ecdsa.js';
import { callKms } from './kms-call.js';
import { compactJws, signingInput, type JwsAlgorithm } from './jwt.js';
import { memoizeUntilFailure } from './memoize.js';
import { fetchPublicKey, requireAlg } from './public-key.js';

export interface KmsSignerOptions {
  kms: KmsSender;
  /** Key id, key ARN, alias name or alias ARN. */
  keyId: string;
  alg: JwsAlgorithm;
  /** Deadline of each KMS call; default 5 s. */
  timeoutMs?: number;
}

export interface JwtSigner {
  readonly alg: JwsAlgorithm;
  /** The key's thumbprint; the first call fetches the public key, later calls are free. */
  kid(): Promise<string>;
  /** A compact JWS with header `{alg, kid, typ: 'JWT'}`. */
  sign(payload: Record<string, unknown>): Promise<string>;
}

const SIGNING_ALGORITHM: Record<JwsAlgorithm, SigningAlgorithmSpec> = {
  RS256: 'RSASSA_PKCS1_V1_5_SHA_256',
  ES256: 'ECDSA_SHA_256',
};

// KMS takes at most 4096 bytes as a RAW message; a larger input is sent as its SHA-256.
const MAX_RAW_MESSAGE_BYTES = 4096;

/**
 * Signs JWTs with a KMS asymmetric key. Call `kid()` at init so that, once warm, each
 * `sign` is exactly one KMS `Sign` call.
 */
export const createKmsSigner = ({ kms, keyId, alg, timeoutMs = 5_000 }: KmsSignerOptions): JwtSigner => {
  const kid = memoizeUntilFailure(async () => requireAlg(await fetchPublicKey(kms, keyId, timeoutMs), alg).kid);

  const sign = async (payload: Record<string, unknown>): Promise<string> => {
    const input = signingInput({ alg, kid: await kid(), typ: 'JWT' }, payload);
    const bytes = Buffer.from(input, 'utf8');
    const raw = bytes.length <= MAX_RAW_MESSAGE_BYTES;
    const { Signature } = await callKms(timeoutMs, () =>
      kms.send(
        new SignCommand({
          KeyId: keyId,
          Message: raw ? bytes : createHash('sha256').update(bytes).digest(),
          MessageType: raw ? 'RAW' : 'DIGEST',
          SigningAlgorithm: SIGNING_ALGORITHM[alg],
        }),
      ),
    );
    if (!Signature) throw errors.unexpected(new Error('KMS Sign returned no signature'));
    try {
      return compactJws(input, alg === 'ES256' ? ecdsaDerToJose(Signature) : Signature);
    } catch (cause) {
      throw errors.unexpected(cause);
    }
  };

  return { alg, kid, sign };
};
