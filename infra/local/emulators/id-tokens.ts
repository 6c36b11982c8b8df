import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { EmulatorAnswer, EmulatorRequest } from './server.js';

/**
 * What the Apple, Google and Facebook emulators share: an RSA signing key set published as
 * a JWKS, and ID tokens minted with it, the way those providers sign theirs (RS256, `kid`).
 *
 * Minting, for tests and for `npm start` users (documented in docs/native-sign-in.md):
 *   GET  <emulator>/__emulator/id-token?sub=...&aud=...&raw_nonce=...   → the token as text
 *   POST <emulator>/__emulator/id-token  {"sub", "aud", "nonce" | "raw_nonce", ...claims}  → {"id_token"}
 * `raw_nonce` is hashed the way the app does it (hex SHA-256) before it goes into the token;
 * `nonce` is put in verbatim. Any other field becomes a claim; `exp_in` sets the lifetime.
 *   POST <emulator>/__emulator/rotate-keys → a new signing key (published beside the old one)
 * Local only: never imported by a Lambda handler.
 */
export interface IdTokenIssuerOptions {
  issuer: string;
  /** Claims of a token minted without arguments (sub, aud and profile claims). */
  defaults: () => Record<string, unknown>;
  /** Path of the JWKS on the emulator. */
  jwksPath: string;
  /** Cache-Control of the JWKS response. */
  cacheControl?: string;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JsonWebKey;
}

export interface IdTokenIssuer {
  issuer: string;
  /** Mints a token; `header` overrides header members (tests of alg/kid handling). */
  mint(claims?: Record<string, unknown>, options?: { header?: Record<string, unknown>; key?: 'current' | 'stranger' }): string;
  /** Adds a new current key; the previous one stays published (as providers do during rotations). */
  rotate(): string;
  /** Drops every key but the current one. */
  retireOldKeys(): void;
  currentKid(): string;
  jwks(): { keys: JsonWebKey[] };
  /** The public key of the current key, for tests that forge an HS256 token with it. */
  publicKeyPem(): string;
  /** Answers the JWKS, minting and rotation paths; undefined for any other path. */
  route(request: EmulatorRequest): EmulatorAnswer | undefined;
}

const newKey = (): SigningKey => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export const hashNonce = (raw: string): string => createHash('sha256').update(raw, 'utf8').digest('hex');

export const createIdTokenIssuer = (options: IdTokenIssuerOptions): IdTokenIssuer => {
  let keys: SigningKey[] = [newKey()];
  // A key nobody publishes: tokens signed with it have a kid no JWKS knows.
  const stranger = newKey();
  const current = () => keys[keys.length - 1] as SigningKey;

  const mint: IdTokenIssuer['mint'] = (claims = {}, mintOptions = {}) => {
    const key = mintOptions.key === 'stranger' ? stranger : current();
    const now = Math.floor(Date.now() / 1000);
    const { raw_nonce: rawNonce, exp_in: expIn, ...rest } = claims;
    const payload: Record<string, unknown> = {
      iss: options.issuer,
      iat: now,
      exp: now + (typeof expIn === 'number' ? expIn : 3600),
      ...options.defaults(),
      ...(typeof rawNonce === 'string' ? { nonce: hashNonce(rawNonce) } : {}),
      ...rest,
    };
    for (const [name, value] of Object.entries(payload)) if (value === null) delete payload[name];
    const header = { alg: 'RS256', kid: key.kid, typ: 'JWT', ...mintOptions.header };
    const input = `${b64url(header)}.${b64url(payload)}`;
    return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
  };

  const claimsFrom = (request: EmulatorRequest): Record<string, unknown> => {
    if (request.method === 'GET') {
      const claims: Record<string, unknown> = {};
      for (const [name, value] of request.query) claims[name] = name === 'exp_in' ? Number(value) : value;
      return claims;
    }
    const parsed = JSON.parse(request.body || '{}') as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  };

  const issuer: IdTokenIssuer = {
    issuer: options.issuer,
    mint,
    rotate() {
      keys = [...keys, newKey()];
      return current().kid;
    },
    retireOldKeys() {
      keys = [current()];
    },
    currentKid: () => current().kid,
    jwks: () => ({ keys: keys.map((key) => key.jwk) }),
    publicKeyPem: () => createPublicKey(current().privateKey).export({ format: 'pem', type: 'spki' }).toString(),
    route(request) {
      if (request.path === options.jwksPath && request.method === 'GET') {
        return { status: 200, json: issuer.jwks(), headers: { 'cache-control': options.cacheControl ?? 'public, max-age=21600' } };
      }
      if (request.path === '/__emulator/id-token') {
        let claims: Record<string, unknown>;
        try {
          claims = claimsFrom(request);
        } catch {
          return { status: 400, json: { error: 'the body must be a JSON object of claims' } };
        }
        const token = mint(claims);
        return request.method === 'GET' ? { status: 200, text: token } : { status: 200, json: { id_token: token } };
      }
      if (request.path === '/__emulator/rotate-keys' && request.method === 'POST') {
        return { status: 200, json: { kid: issuer.rotate() } };
      }
      return undefined;
    },
  };
  return issuer;
};
