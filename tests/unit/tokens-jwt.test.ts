import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { base64url, compactJws, encodeSegment, signingInput } from '../../functions/tokens/jwt.js';

describe('jwt encoding', () => {
  it('uses unpadded base64url (RFC 7515 section 2)', () => {
    expect(base64url(Buffer.from([0xfb, 0xff, 0xfe]))).toBe('-__-');
    expect(base64url('a')).toBe('YQ');
    expect(base64url('ab')).toBe('YWI');
  });

  it('encodes JSON as UTF-8', () => {
    const segment = encodeSegment({ name: 'José 李' });

    expect(Buffer.from(segment, 'base64url').toString('utf8')).toBe('{"name":"José 李"}');
    expect(segment).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('builds header.payload and a compact JWS that a JOSE library decodes', () => {
    const payload = { iss: 'https://issuer.example/', sub: 'google-oauth2|1', aud: 'my-app', iat: 1_700_000_000 };

    const input = signingInput({ alg: 'ES256', kid: 'kid-1', typ: 'JWT' }, payload);
    const token = compactJws(input, Buffer.alloc(64, 7));

    expect(input.split('.')).toHaveLength(2);
    expect(token.startsWith(`${input}.`)).toBe(true);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'kid-1', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual(payload);
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toEqual(Buffer.alloc(64, 7));
  });
});
