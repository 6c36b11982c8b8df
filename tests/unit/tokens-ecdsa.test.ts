import { generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedSignatureError, ecdsaDerToJose } from '../../functions/tokens/ecdsa.js';

/** SEQUENCE { INTEGER r, INTEGER s } with the INTEGER contents exactly as given. */
const der = (r: number[] | Uint8Array, s: number[] | Uint8Array): Buffer => {
  const integer = (content: number[] | Uint8Array) => Buffer.from([0x02, content.length, ...content]);
  const body = Buffer.concat([integer(r), integer(s)]);
  return Buffer.from([0x30, body.length, ...body]);
};

/** Minimal DER INTEGER content of an unsigned big-endian magnitude. */
const derContent = (magnitude: Uint8Array): number[] => {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start += 1;
  const trimmed = [...magnitude.subarray(start)];
  return trimmed[0]! & 0x80 ? [0, ...trimmed] : trimmed;
};

const bytes = (length: number, fill: number) => Array.from({ length }, () => fill);
const hex = (buffer: Uint8Array) => Buffer.from(buffer).toString('hex');

describe('ecdsaDerToJose', () => {
  it('strips the 0x00 sign byte of 33-byte integers', () => {
    const r = [0x00, 0x80, ...bytes(31, 0x11)];
    const s = [0x00, 0xff, ...bytes(31, 0x22)];

    const jose = ecdsaDerToJose(der(r, s));

    expect(jose.length).toBe(64);
    expect(hex(jose)).toBe(`80${'11'.repeat(31)}ff${'22'.repeat(31)}`);
  });

  it.each([
    { case: 'r short by one byte', r: bytes(31, 0x33), s: bytes(32, 0x44), want: `00${'33'.repeat(31)}${'44'.repeat(32)}` },
    { case: 's short by two bytes', r: bytes(32, 0x55), s: bytes(30, 0x66), want: `${'55'.repeat(32)}0000${'66'.repeat(30)}` },
    { case: 'r is 1', r: [0x01], s: [0x00, 0x90, ...bytes(31, 0)], want: `${'00'.repeat(31)}0190${'00'.repeat(31)}` },
    { case: 'short r with its own sign byte', r: [0x00, 0x81, 0x02], s: [0x7f], want: `${'00'.repeat(30)}8102${'00'.repeat(31)}7f` },
  ])('left-pads with zeros when $case', ({ r, s, want }) => {
    expect(hex(ecdsaDerToJose(der(r, s)))).toBe(want);
  });

  it('round-trips every pair of non-zero 32-byte scalars', () => {
    const scalar = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((value) => value.some((byte) => byte !== 0));

    fc.assert(
      fc.property(scalar, scalar, (r, s) => {
        expect(hex(ecdsaDerToJose(der(derContent(r), derContent(s))))).toBe(hex(r) + hex(s));
      }),
      { numRuns: 500 },
    );
  });

  it('turns node:crypto DER signatures into the IEEE P1363 form that verifies', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    for (let round = 0; round < 100; round += 1) {
      const message = Buffer.from(`message ${round}`);
      const signature = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });

      const jose = ecdsaDerToJose(signature);

      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
    }
  });

  it('takes the scalar size for other curves', () => {
    expect(ecdsaDerToJose(der([0x01], [0x02]), 48).length).toBe(96);
  });

  const valid = der(bytes(32, 0x11), bytes(32, 0x22));
  it.each([
    { case: 'empty input', input: Buffer.alloc(0) },
    { case: 'not a SEQUENCE', input: Buffer.from([0x31, ...valid.subarray(1)]) },
    { case: 'SEQUENCE longer than the input', input: valid.subarray(0, valid.length - 1) },
    { case: 'trailing bytes after the SEQUENCE', input: Buffer.concat([valid, Buffer.from([0])]) },
    { case: 'trailing bytes inside the SEQUENCE', input: Buffer.from([0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]) },
    { case: 'only one INTEGER', input: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]) },
    { case: 'an OCTET STRING instead of r', input: Buffer.from([0x30, 0x06, 0x04, 0x01, 0x01, 0x02, 0x01, 0x01]) },
    { case: 'an empty INTEGER', input: Buffer.from([0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01]) },
    { case: 'r equal to zero', input: der([0x00], [0x01]) },
    { case: 'a negative r', input: der([0x80, ...bytes(31, 0x01)], [0x01]) },
    { case: 'a needless leading zero', input: der([0x00, 0x01], [0x01]) },
    { case: 'an integer longer than 32 bytes', input: der([0x01, ...bytes(32, 0x01)], [0x01]) },
    { case: 'an INTEGER running past the end', input: Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x05, 0x01]) },
    { case: 'a non-minimal long-form length', input: Buffer.from([0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]) },
    { case: 'a JOSE signature instead of DER', input: Buffer.alloc(64, 0x42) },
  ])('rejects $case', ({ input }) => {
    expect(() => ecdsaDerToJose(input)).toThrow(MalformedSignatureError);
  });
});
