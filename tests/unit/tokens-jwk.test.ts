import { generateKeyPairSync, sign } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint, spkiToJwk, type PublicJwk } from '../../functions/tokens/jwk.js';

const spkiOf = (key: { export(options: { format: 'der'; type: 'spki' }): Buffer }) => key.export({ format: 'der', type: 'spki' });

describe('spkiToJwk', () => {
  it('exposes only the public RSA members', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

    const jwk = spkiToJwk(spkiOf(publicKey));

    expect(Object.keys(jwk).sort()).toEqual(['e', 'kty', 'n']);
    expect(jwk).toMatchObject({ kty: 'RSA', e: 'AQAB' });
    expect(Buffer.from((jwk as { n: string }).n, 'base64url').length).toBe(256);
  });

  it('exposes only the public P-256 members', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

    const jwk = spkiToJwk(spkiOf(publicKey));

    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it('gives a JWK that jose accepts for the key that signed', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const header = Buffer.from('{"alg":"ES256"}').toString('base64url');
    const payload = Buffer.from('hello').toString('base64url');
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });

    const key = await importJWK({ ...spkiToJwk(spkiOf(publicKey)), alg: 'ES256' });
    const { payload: verified } = await compactVerify(`${header}.${payload}.${signature.toString('base64url')}`, key);

    expect(Buffer.from(verified).toString()).toBe('hello');
  });

  it('refuses key types that have no JWK form here', () => {
    const { publicKey } = generateKeyPairSync('ed25519');

    expect(() => spkiToJwk(spkiOf(publicKey))).toThrow(TypeError);
  });
});

describe('jwkThumbprint', () => {
  it('matches the RFC 7638 section 3.1 example', () => {
    const jwk: PublicJwk = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6' +
        '4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9' +
        '1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
    };

    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each([
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
    ['EC', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey],
  ])('agrees with jose for %s keys and ignores member order', async (_type, makeKey) => {
    const jwk = spkiToJwk(spkiOf(makeKey()));
    const reordered = Object.fromEntries(Object.entries(jwk).reverse()) as PublicJwk;

    expect(jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    expect(jwkThumbprint(reordered)).toBe(jwkThumbprint(jwk));
  });

  it('differs between keys', () => {
    const one = spkiToJwk(spkiOf(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey));
    const two = spkiToJwk(spkiOf(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey));

    expect(jwkThumbprint(one)).not.toBe(jwkThumbprint(two));
  });
});
