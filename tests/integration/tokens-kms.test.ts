import { CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, KMSClient, type KeySpec } from '@aws-sdk/client-kms';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../functions/core/errors.js';
import { createKeyRing } from '../../functions/tokens/key-ring.js';
import { createKmsSigner } from '../../functions/tokens/kms-signer.js';
import { startKmsEndpoint, type KmsEndpointHandle } from '../../infra/local/kms/server.js';

const ISSUER = 'https://auth.example.test/';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

let endpoint: KmsEndpointHandle;
let kms: KMSClient;
/** No SDK retries, so an injected fault reaches the signer. */
let kmsOnce: KMSClient;
let rsaKeyId: string;
let ecKeyId: string;

const createKey = async (KeySpec: KeySpec) => {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage: 'SIGN_VERIFY' }));
  return KeyMetadata!.KeyId!;
};

const claims = (sub: string) => {
  const iat = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, sub, aud: 'my-app', iat, exp: iat + 36_000, name: 'José Test' };
};

/** Calls the endpoint received while `action` ran. */
const callsDuring = async (action: () => Promise<unknown>) => {
  const before = endpoint.calls.length;
  await action();
  return endpoint.calls.slice(before).map((call) => call.operation);
};

beforeAll(async () => {
  endpoint = await startKmsEndpoint();
  kms = new KMSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials });
  kmsOnce = new KMSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  [rsaKeyId, ecKeyId] = await Promise.all([createKey('RSA_2048'), createKey('ECC_NIST_P256')]);
});

afterAll(async () => {
  kms.destroy();
  kmsOnce.destroy();
  await endpoint.close();
});

afterEach(() => endpoint.setFault(null));

describe.each([
  { alg: 'RS256' as const, keyId: () => rsaKeyId },
  { alg: 'ES256' as const, keyId: () => ecKeyId },
])('$alg id_tokens', ({ alg, keyId }) => {
  it('verify with jose against the key ring JWKS', async () => {
    const signer = createKmsSigner({ kms, keyId: keyId(), alg });
    const ring = createKeyRing({ kms, active: { keyId: keyId(), alg }, retired: [] });
    const payload = claims('google-oauth2|123');

    const token = await signer.sign(payload);
    const jwks = await ring.jwks();
    const { payload: verified, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys: [...jwks.keys] }), {
      issuer: ISSUER,
      audience: 'my-app',
      algorithms: [alg],
    });

    expect(protectedHeader).toEqual({ alg, kid: await signer.kid(), typ: 'JWT' });
    expect(verified).toEqual(payload);
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: await signer.kid(), alg, use: 'sig' })]);
  });

  it('uses the RFC 7638 thumbprint as a kid that every container agrees on', async () => {
    const first = createKmsSigner({ kms, keyId: keyId(), alg });
    const second = createKmsSigner({ kms, keyId: keyId(), alg });
    const { keys } = await createKeyRing({ kms, active: { keyId: keyId(), alg }, retired: [] }).jwks();
    const { kid, alg: _alg, use: _use, ...publicJwk } = keys[0]!;

    expect(await first.kid()).toBe(await second.kid());
    expect(await first.kid()).toBe(kid);
    expect(kid).toBe(await calculateJwkThumbprint(publicJwk, 'sha256'));
  });

  it('makes exactly one KMS call per token once warm, and one GetPublicKey per container', async () => {
    const signer = createKmsSigner({ kms, keyId: keyId(), alg });

    const cold = await callsDuring(() => Promise.all([signer.sign(claims('a')), signer.sign(claims('b'))]));
    const warm = await callsDuring(() => signer.sign(claims('c')));

    expect(cold.sort()).toEqual(['GetPublicKey', 'Sign', 'Sign']);
    expect(warm).toEqual(['Sign']);
  });

  it('signs inputs over 4096 bytes through a SHA-256 digest', async () => {
    const signer = createKmsSigner({ kms, keyId: keyId(), alg });
    const { keys } = await createKeyRing({ kms, active: { keyId: keyId(), alg }, retired: [] }).jwks();
    const payload = { ...claims('facebook|1'), picture: `https://cdn.example/${'p'.repeat(5_000)}` };

    const token = await signer.sign(payload);
    const { payload: verified } = await jwtVerify(token, await importJWK(keys[0]!, alg));

    expect(token.length).toBeGreaterThan(5_000);
    expect(verified.picture).toBe(payload.picture);
  });
});

describe('ES256 signature encoding', () => {
  it('turns 200 KMS DER signatures into raw r||s that jose verifies', async () => {
    const signer = createKmsSigner({ kms, keyId: ecKeyId, alg: 'ES256' });
    const { keys } = await createKeyRing({ kms, active: { keyId: ecKeyId, alg: 'ES256' }, retired: [] }).jwks();
    const key = await importJWK(keys[0]!, 'ES256');

    for (let batch = 0; batch < 10; batch += 1) {
      const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => signer.sign(claims(`user-${batch}-${i}`))));
      for (const [i, token] of tokens.entries()) {
        expect(Buffer.from(token.split('.')[2]!, 'base64url').length).toBe(64);
        const { payload } = await jwtVerify(token, key, { algorithms: ['ES256'] });
        expect(payload.sub).toBe(`user-${batch}-${i}`);
      }
    }
  });
});

describe('key ring', () => {
  it('lists the active key first, then retired keys with the alg of their key spec', async () => {
    const retiredEc = await createKey('ECC_NIST_P256');
    const ring = createKeyRing({ kms, active: { keyId: rsaKeyId, alg: 'RS256' }, retired: [retiredEc, rsaKeyId] });
    const oldSigner = createKmsSigner({ kms, keyId: retiredEc, alg: 'ES256' });
    const oldToken = await oldSigner.sign(claims('before-rotation'));

    const { keys } = await ring.jwks();
    const { payload } = await jwtVerify(oldToken, createLocalJWKSet({ keys: [...keys] }));

    expect(keys.map((key) => [key.alg, key.kty])).toEqual([
      ['RS256', 'RSA'],
      ['ES256', 'EC'],
    ]);
    expect(keys[1]!.kid).toBe(await oldSigner.kid());
    expect(payload.sub).toBe('before-rotation');
    expect(Object.keys(keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('fetches the keys once per container', async () => {
    const ring = createKeyRing({ kms, active: { keyId: ecKeyId, alg: 'ES256' }, retired: [rsaKeyId] });

    const first = await callsDuring(() => ring.jwks());
    const second = await callsDuring(() => ring.jwks());

    expect(first).toEqual(['GetPublicKey', 'GetPublicKey']);
    expect(second).toEqual([]);
  });
});

describe('KMS failures', () => {
  const expectUnavailable = (attempt: Promise<unknown>) =>
    expect(attempt).rejects.toMatchObject({ status: 503, error: 'temporarily_unavailable', reason: 'kms_unavailable' });
  const expectUnexpected = (attempt: Promise<unknown>) =>
    expect(attempt).rejects.toMatchObject({ status: 500, error: 'server_error', description: 'Unexpected error' });

  it('answers 503 when the public key fetch is throttled, and retries it on the next call', async () => {
    const signer = createKmsSigner({ kms: kmsOnce, keyId: ecKeyId, alg: 'ES256' });
    endpoint.setFault({ kind: 'throttling' }, 1);

    const failure = await signer.sign(claims('x')).catch((e: unknown) => e);
    const retry = await callsDuring(() => signer.sign(claims('x')));

    expect(failure).toBeInstanceOf(OAuthError);
    expect(failure).toMatchObject({ status: 503, cause: { name: 'ThrottlingException' } });
    expect(retry).toEqual(['GetPublicKey', 'Sign']);
  });

  it('answers 503 when a warm Sign is throttled or KMS fails internally', async () => {
    const signer = createKmsSigner({ kms: kmsOnce, keyId: rsaKeyId, alg: 'RS256' });
    await signer.kid();

    endpoint.setFault({ kind: 'throttling' }, 1);
    await expectUnavailable(signer.sign(claims('x')));
    endpoint.setFault({ kind: 'internal' }, 1);
    await expectUnavailable(signer.sign(claims('x')));

    const token = await signer.sign(claims('x'));
    expect(decodeProtectedHeader(token).kid).toBe(await signer.kid());
  });

  it('answers 503 within its deadline when KMS hangs', async () => {
    const signer = createKmsSigner({ kms: kmsOnce, keyId: rsaKeyId, alg: 'RS256', timeoutMs: 200 });
    await signer.kid();
    endpoint.setFault({ kind: 'hang' }, 1);

    const started = Date.now();
    await expectUnavailable(signer.sign(claims('x')));

    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('answers 503 when KMS cannot be reached', async () => {
    const gone = await startKmsEndpoint();
    await gone.close();
    const unreachable = new KMSClient({ endpoint: gone.url, region: 'us-east-1', credentials, maxAttempts: 1 });

    await expectUnavailable(createKmsSigner({ kms: unreachable, keyId: rsaKeyId, alg: 'RS256' }).sign(claims('x')));
    await expectUnavailable(createKeyRing({ kms: unreachable, active: { keyId: rsaKeyId, alg: 'RS256' }, retired: [] }).jwks());
    unreachable.destroy();
  });

  it('answers 503 while the signing key is disabled', async () => {
    const keyId = await createKey('ECC_NIST_P256');
    const signer = createKmsSigner({ kms, keyId, alg: 'ES256' });
    await signer.kid();

    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    await expectUnavailable(signer.sign(claims('x')));
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));

    await expect(signer.sign(claims('x'))).resolves.toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('answers 503 from the key ring when KMS is throttled, then recovers', async () => {
    const ring = createKeyRing({ kms: kmsOnce, active: { keyId: rsaKeyId, alg: 'RS256' }, retired: [] });
    endpoint.setFault({ kind: 'throttling' }, 1);

    await expectUnavailable(ring.jwks());

    await expect(ring.jwks()).resolves.toMatchObject({ keys: [{ alg: 'RS256' }] });
  });

  it('answers 500 for configuration mistakes: an unknown key, or an alg the key cannot produce', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';

    await expectUnexpected(createKmsSigner({ kms, keyId: unknown, alg: 'RS256' }).sign(claims('x')));
    await expectUnexpected(createKmsSigner({ kms, keyId: rsaKeyId, alg: 'ES256' }).sign(claims('x')));
    await expectUnexpected(createKeyRing({ kms, active: { keyId: ecKeyId, alg: 'RS256' }, retired: [] }).jwks());
    await expectUnexpected(createKeyRing({ kms, active: { keyId: ecKeyId, alg: 'ES256' }, retired: [unknown] }).jwks());
  });
});
