/**
 * KMS returns ECDSA signatures in DER (`SEQUENCE { INTEGER r, INTEGER s }`, RFC 3279
 * section 2.2.3), 70 to 72 bytes for P-256. JWS wants the two integers as fixed-size
 * big-endian octet strings, concatenated (RFC 7518 section 3.4): 64 bytes for ES256.
 */
export class MalformedSignatureError extends Error {
  override readonly name = 'MalformedSignatureError';
}

const P256_SCALAR_BYTES = 32;
const SEQUENCE = 0x30;
const INTEGER = 0x02;

interface Read<T> {
  value: T;
  next: number;
}

const fail = (reason: string): never => {
  throw new MalformedSignatureError(`malformed DER ECDSA signature: ${reason}`);
};

// DER lengths are minimal: short form below 128, `0x81 nn` up to 255 (enough for P-521).
const readLength = (der: Uint8Array, offset: number): Read<number> => {
  const first = der[offset] ?? fail('truncated length');
  if (first < 0x80) return { value: first, next: offset + 1 };
  if (first !== 0x81) return fail('unsupported length form');
  const value = der[offset + 1] ?? fail('truncated length');
  if (value < 0x80) fail('non-minimal length');
  return { value, next: offset + 2 };
};

/** The unsigned magnitude of a positive DER INTEGER, without its sign-padding zero. */
const readUnsignedInteger = (der: Uint8Array, offset: number): Read<Uint8Array> => {
  if (der[offset] !== INTEGER) fail('expected an INTEGER');
  const { value: length, next } = readLength(der, offset + 1);
  if (length === 0) fail('empty INTEGER');
  const end = next + length;
  if (end > der.length) fail('INTEGER runs past the end');
  const bytes = der.subarray(next, end);
  const [first = 0, second = 0] = bytes;
  if (first & 0x80) fail('negative INTEGER');
  // A leading zero is only allowed (and required) when the next byte has its high bit set.
  if (first === 0 && length > 1 && !(second & 0x80)) fail('non-minimal INTEGER');
  const magnitude = first === 0 ? bytes.subarray(1) : bytes;
  if (magnitude.length === 0) fail('r or s is zero');
  return { value: magnitude, next: end };
};

const leftPad = (magnitude: Uint8Array, size: number): Uint8Array => {
  if (magnitude.length > size) fail(`integer longer than ${size} bytes`);
  const padded = new Uint8Array(size);
  padded.set(magnitude, size - magnitude.length);
  return padded;
};

/** DER ECDSA signature → JOSE `r || s`; `size` is the curve's scalar length in bytes. */
export const ecdsaDerToJose = (der: Uint8Array, size = P256_SCALAR_BYTES): Buffer => {
  if (der[0] !== SEQUENCE) fail('expected a SEQUENCE');
  const { value: length, next } = readLength(der, 1);
  if (next + length !== der.length) fail('SEQUENCE length does not match the signature length');
  const r = readUnsignedInteger(der, next);
  const s = readUnsignedInteger(der, r.next);
  if (s.next !== der.length) fail('trailing bytes after s');
  return Buffer.concat([leftPad(r.value, size), leftPad(s.value, size)]);
};
