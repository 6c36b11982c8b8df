import { createHash, createPublicKey } from 'node:crypto';

/** The public members of a signing key (RFC 7518 sections 6.2.1 and 6.3.1). */
export type PublicJwk = { kty: 'RSA'; n: string; e: string } | { kty: 'EC'; crv: string; x: string; y: string };

/** DER SubjectPublicKeyInfo (what KMS `GetPublicKey` returns) → public JWK. */
export const spkiToJwk = (spki: Uint8Array): PublicJwk => {
  const jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  if (jwk.kty === 'RSA' && jwk.n && jwk.e) return { kty: 'RSA', n: jwk.n, e: jwk.e };
  if (jwk.kty === 'EC' && jwk.crv && jwk.x && jwk.y) return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
  throw new TypeError(`unsupported public key type ${jwk.kty ?? 'unknown'}`);
};

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the `kid`. It depends only on the key,
 * so every container derives the same one and rotation needs no kid bookkeeping.
 * Section 3.2: only the required members, in lexicographic order, without whitespace.
 */
export const jwkThumbprint = (jwk: PublicJwk): string => {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
};
