import { randomBytes, type KeyObject } from 'node:crypto';

/**
 * ECDSA over P-256 on a caller-supplied digest (KMS `MessageType: DIGEST`). node:crypto
 * always hashes the message itself, so the prehashed case is done here with BigInt
 * (SEC 1 v2 section 4.1, curve from FIPS 186-4 D.1.2.3). Not constant-time: this is a
 * local emulator and never holds a production key.
 */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  z: 1n,
};

/** Jacobian coordinates; z = 0 is the point at infinity. */
interface Point {
  x: bigint;
  y: bigint;
  z: bigint;
}

const INFINITY: Point = { x: 0n, y: 1n, z: 0n };

const mod = (a: bigint, m: bigint) => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

const modPow = (base: bigint, exponent: bigint, m: bigint) => {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
};

// Both moduli are prime, so Fermat's little theorem gives the inverse.
const invert = (a: bigint, m: bigint) => modPow(a, m - 2n, m);

// dbl-2001-b (a = -3), from the Explicit-Formulas Database.
const double = (p: Point): Point => {
  if (p.z === 0n || p.y === 0n) return INFINITY;
  const delta = mod(p.z * p.z, P);
  const gamma = mod(p.y * p.y, P);
  const beta = mod(p.x * gamma, P);
  const alpha = mod(3n * (p.x - delta) * (p.x + delta), P);
  const x = mod(alpha * alpha - 8n * beta, P);
  const z = mod((p.y + p.z) ** 2n - gamma - delta, P);
  const y = mod(alpha * (4n * beta - x) - 8n * gamma * gamma, P);
  return { x, y, z };
};

const add = (p: Point, q: Point): Point => {
  if (p.z === 0n) return q;
  if (q.z === 0n) return p;
  const pz2 = mod(p.z * p.z, P);
  const qz2 = mod(q.z * q.z, P);
  const u1 = mod(p.x * qz2, P);
  const u2 = mod(q.x * pz2, P);
  const s1 = mod(p.y * q.z * qz2, P);
  const s2 = mod(q.y * p.z * pz2, P);
  const h = mod(u2 - u1, P);
  const r = mod(s2 - s1, P);
  if (h === 0n) return r === 0n ? double(p) : INFINITY;
  const hh = mod(h * h, P);
  const hhh = mod(h * hh, P);
  const v = mod(u1 * hh, P);
  const x = mod(r * r - hhh - 2n * v, P);
  const y = mod(r * (v - x) - s1 * hhh, P);
  return { x, y, z: mod(p.z * q.z * h, P) };
};

const multiply = (k: bigint, p: Point): Point => {
  let result = INFINITY;
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i -= 1n) {
    result = double(result);
    if ((k >> i) & 1n) result = add(result, p);
  }
  return result;
};

const affineX = (p: Point): bigint => {
  const zInv = invert(p.z, P);
  return mod(p.x * zInv * zInv, P);
};

const toBigInt = (bytes: Uint8Array) => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`));

// SEC 1 section 4.1.3 step 5: keep the leftmost bits of the digest when it is longer than n.
const digestToScalar = (digest: Uint8Array) => toBigInt(digest.subarray(0, 32));

const jwkScalar = (value: string | undefined) => toBigInt(Buffer.from(value ?? '', 'base64url'));

const randomScalar = (): bigint => {
  for (;;) {
    const k = toBigInt(randomBytes(32));
    if (k > 0n && k < N) return k;
  }
};

export const signDigestP256 = (privateKey: KeyObject, digest: Uint8Array): Buffer => {
  const d = jwkScalar(privateKey.export({ format: 'jwk' }).d);
  const e = digestToScalar(digest);
  for (;;) {
    const k = randomScalar();
    const r = mod(affineX(multiply(k, G)), N);
    if (r === 0n) continue;
    const s = mod(invert(k, N) * (e + r * d), N);
    if (s === 0n) continue;
    return encodeDer(r, s);
  }
};

export const verifyDigestP256 = (publicKey: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean => {
  const parsed = decodeDer(signature);
  if (!parsed) return false;
  const { r, s } = parsed;
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const jwk = publicKey.export({ format: 'jwk' });
  const q: Point = { x: jwkScalar(jwk.x), y: jwkScalar(jwk.y), z: 1n };
  const w = invert(s, N);
  const point = add(multiply(mod(digestToScalar(digest) * w, N), G), multiply(mod(r * w, N), q));
  return point.z !== 0n && mod(affineX(point), N) === r;
};

// DER `SEQUENCE { INTEGER r, INTEGER s }` (SEC 1 section C.5), the form KMS returns.
const derInteger = (value: bigint): Buffer => {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
};

const encodeDer = (r: bigint, s: bigint): Buffer => {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
};

const decodeDer = (der: Uint8Array): { r: bigint; s: bigint } | undefined => {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const integers: bigint[] = [];
  let offset = 2;
  while (offset < der.length) {
    const length = der[offset + 1];
    if (der[offset] !== 0x02 || length === undefined || length === 0 || offset + 2 + length > der.length) return undefined;
    if (der[offset + 2]! & 0x80) return undefined; // a negative INTEGER is never a valid r or s
    integers.push(toBigInt(der.subarray(offset + 2, offset + 2 + length)));
    offset += 2 + length;
  }
  const [r, s] = integers;
  return integers.length === 2 && r !== undefined && s !== undefined ? { r, s } : undefined;
};
