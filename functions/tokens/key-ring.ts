import type { KmsSender } from '../clients.js';
import { errors } from '../core/errors.js';
import type { PublicJwk } from './jwk.js';
import type { JwsAlgorithm } from './jwt.js';
import { memoizeUntilFailure } from './memoize.js';
import { fetchPublicKey, requireAlg, type KmsPublicKey } from './public-key.js';

/** A JWKS entry (RFC 7517 section 4): the public key with `kid`, `alg` and `use`. */
export type Jwk = Readonly<PublicJwk & { kid: string; alg: JwsAlgorithm; use: 'sig' }>;

export interface Jwks {
  readonly keys: readonly Jwk[];
}

export interface KeyRingOptions {
  kms: KmsSender;
  /** The key new tokens are signed with. */
  active: { keyId: string; alg: JwsAlgorithm };
  /** Keys that signed tokens which may still be live; listed until those expire. */
  retired: string[];
  /** Deadline of each KMS call; default 5 s. */
  timeoutMs?: number;
}

export interface KeyRing {
  jwks(): Promise<Jwks>;
}

const toJwk = (key: KmsPublicKey): Jwk => {
  if (!key.alg) throw errors.unexpected(new Error(`KMS key ${key.keyId} has key spec ${key.keySpec}, which no JWS algorithm here uses`));
  return { ...key.jwk, kid: key.kid, alg: key.alg, use: 'sig' };
};

export const createKeyRing = ({ kms, active, retired, timeoutMs = 5_000 }: KeyRingOptions): KeyRing => {
  const jwks = memoizeUntilFailure(async () => {
    const [activeKey, ...retiredKeys] = await Promise.all([
      fetchPublicKey(kms, active.keyId, timeoutMs).then((key) => requireAlg(key, active.alg)),
      ...retired.map((keyId) => fetchPublicKey(kms, keyId, timeoutMs)),
    ]);
    const keys: Jwk[] = [];
    // The active key comes first; the same key listed twice (an alias and its id) appears once.
    for (const key of [activeKey!, ...retiredKeys]) {
      if (!keys.some((known) => known.kid === key.kid)) keys.push(Object.freeze(toJwk(key)));
    }
    // Shared by every request of the container: nobody may edit it in place.
    return Object.freeze({ keys: Object.freeze(keys) });
  });
  return { jwks };
};
