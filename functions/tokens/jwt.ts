/** The id_token algorithms: `RS256` on KMS `RSA_2048`, `ES256` on `ECC_NIST_P256`. */
export type JwsAlgorithm = 'RS256' | 'ES256';

export interface JwtHeader {
  alg: JwsAlgorithm;
  kid: string;
  typ: 'JWT';
}

export const base64url = (input: Uint8Array | string): string => Buffer.from(input).toString('base64url');

/** BASE64URL(UTF8(JSON)), RFC 7515 section 2 and RFC 7519 section 7.1. */
export const encodeSegment = (value: object): string => base64url(JSON.stringify(value));

/** RFC 7515 section 5.1 step 4: what gets signed. */
export const signingInput = (header: JwtHeader, payload: Record<string, unknown>): string =>
  `${encodeSegment(header)}.${encodeSegment(payload)}`;

/** RFC 7515 section 7.1 compact serialization. */
export const compactJws = (input: string, signature: Uint8Array): string => `${input}.${base64url(signature)}`;
