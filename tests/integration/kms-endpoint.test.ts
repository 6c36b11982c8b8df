import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisabledException,
  EnableKeyCommand,
  EncryptCommand,
  GetPublicKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  KMSClient,
  KMSInternalException,
  KMSInvalidSignatureException,
  KMSServiceException,
  ListAliasesCommand,
  ListKeysCommand,
  NotFoundException,
  SignCommand,
  UnsupportedOperationException,
  VerifyCommand,
  type KeySpec,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startKmsEndpoint, type KmsEndpointHandle } from '../../infra/local/kms/server.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const clientFor = (endpoint: KmsEndpointHandle, maxAttempts = 3) =>
  new KMSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts });

let endpoint: KmsEndpointHandle;
let kms: KMSClient;

beforeAll(async () => {
  endpoint = await startKmsEndpoint();
  kms = clientFor(endpoint);
});

afterAll(async () => {
  kms.destroy();
  await endpoint.close();
});

afterEach(() => {
  endpoint.setFault(null);
  endpoint.setDelay(0);
});

const createKey = async (KeySpec: KeySpec) => {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage: 'SIGN_VERIFY', Description: 'test' }));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  return KeyMetadata;
};

const publicKeyOf = async (keyId: string): Promise<KeyObject> => {
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
};

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

describe.each([
  { spec: 'RSA_2048' as const, algorithm: 'RSASSA_PKCS1_V1_5_SHA_256' as const, keyType: 'rsa' },
  { spec: 'ECC_NIST_P256' as const, algorithm: 'ECDSA_SHA_256' as const, keyType: 'ec' },
])('$spec key', ({ spec, algorithm, keyType }) => {
  let keyId: string;
  let arn: string;
  let publicKey: KeyObject;

  beforeAll(async () => {
    ({ KeyId: keyId, Arn: arn } = (await createKey(spec)) as { KeyId: string; Arn: string });
    publicKey = await publicKeyOf(keyId);
  });

  it('describes the key as AWS does', async () => {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));

    expect(KeyMetadata).toMatchObject({
      KeyId: keyId,
      Arn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`,
      KeySpec: spec,
      KeyUsage: 'SIGN_VERIFY',
      KeyState: 'Enabled',
      Enabled: true,
      Description: 'test',
    });
    expect(KeyMetadata?.SigningAlgorithms).toContain(algorithm);
    expect(KeyMetadata?.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs(KeyMetadata!.CreationDate!.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('returns the public key as DER SubjectPublicKeyInfo', async () => {
    const output = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));

    expect(output).toMatchObject({ KeyId: arn, KeySpec: spec, KeyUsage: 'SIGN_VERIFY' });
    expect(output.SigningAlgorithms).toContain(algorithm);
    expect(publicKey.asymmetricKeyType).toBe(keyType);
  });

  it('signs a RAW message so that node:crypto verifies it', async () => {
    const message = Buffer.from('header.payload');

    const output = await kms.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm }));

    expect(output.KeyId).toBe(arn);
    expect(output.SigningAlgorithm).toBe(algorithm);
    const signature = Buffer.from(output.Signature!);
    if (keyType === 'ec') {
      expect(signature[0]).toBe(0x30); // DER SEQUENCE, as KMS returns ECDSA signatures
      expect(signature.length).toBeGreaterThanOrEqual(8);
      expect(signature.length).toBeLessThanOrEqual(72);
    } else {
      expect(signature.length).toBe(256);
    }
    expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('header.tampered'), { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(false);
  });

  it('signs a DIGEST so that the signature verifies over the original message', async () => {
    const message = Buffer.from('x'.repeat(10_000));
    for (let round = 0; round < 10; round += 1) {
      const output = await kms.send(
        new SignCommand({ KeyId: arn, Message: sha256(message), MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
      );
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, Buffer.from(output.Signature!))).toBe(true);
    }
  });

  it('verifies its own signatures for both message types and rejects a wrong one', async () => {
    const message = Buffer.from('to be verified');
    const { Signature } = await kms.send(new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: algorithm }));

    const raw = await kms.send(new VerifyCommand({ KeyId: keyId, Message: message, Signature, SigningAlgorithm: algorithm }));
    const digest = await kms.send(
      new VerifyCommand({ KeyId: keyId, Message: sha256(message), MessageType: 'DIGEST', Signature, SigningAlgorithm: algorithm }),
    );

    expect(raw).toMatchObject({ KeyId: arn, SignatureValid: true, SigningAlgorithm: algorithm });
    expect(digest.SignatureValid).toBe(true);
    await expect(
      kms.send(new VerifyCommand({ KeyId: keyId, Message: Buffer.from('other'), Signature, SigningAlgorithm: algorithm })),
    ).rejects.toBeInstanceOf(KMSInvalidSignatureException);
    await expect(
      kms.send(new VerifyCommand({ KeyId: keyId, Message: message, Signature: Buffer.from('garbage'), SigningAlgorithm: algorithm })),
    ).rejects.toBeInstanceOf(KMSInvalidSignatureException);
    await expect(
      kms.send(
        new VerifyCommand({ KeyId: keyId, Message: sha256(Buffer.from('other')), MessageType: 'DIGEST', Signature, SigningAlgorithm: algorithm }),
      ),
    ).rejects.toBeInstanceOf(KMSInvalidSignatureException);
  });

  it('rejects a digest of the wrong length and a RAW message over 4096 bytes', async () => {
    const badDigest = kms.send(
      new SignCommand({ KeyId: keyId, Message: Buffer.alloc(20), MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
    );
    const tooLong = kms.send(new SignCommand({ KeyId: keyId, Message: Buffer.alloc(4097, 1), SigningAlgorithm: algorithm }));

    await expect(badDigest).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    await expect(tooLong).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      kms.send(new SignCommand({ KeyId: keyId, Message: Buffer.alloc(4096, 1), SigningAlgorithm: algorithm })),
    ).resolves.toHaveProperty('Signature');
  });
});

describe('errors', () => {
  it('answers InvalidKeyUsageException for an algorithm of another key type', async () => {
    const ec = await createKey('ECC_NIST_P256');
    const rsa = await createKey('RSA_2048');

    const cases: [string, SigningAlgorithmSpec][] = [
      [ec.KeyId!, 'RSASSA_PKCS1_V1_5_SHA_256'],
      [ec.KeyId!, 'ECDSA_SHA_384'],
      [rsa.KeyId!, 'ECDSA_SHA_256'],
    ];
    for (const [KeyId, SigningAlgorithm] of cases) {
      await expect(kms.send(new SignCommand({ KeyId, Message: Buffer.from('m'), SigningAlgorithm }))).rejects.toBeInstanceOf(
        InvalidKeyUsageException,
      );
    }
  });

  it('answers ValidationException for an algorithm that does not exist', async () => {
    const ec = await createKey('ECC_NIST_P256');

    const attempt = kms.send(
      new SignCommand({ KeyId: ec.KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'HS256' as SigningAlgorithmSpec }),
    );

    await expect(attempt).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('answers NotFoundException for unknown keys, ARNs and aliases', async () => {
    for (const KeyId of [
      '00000000-0000-4000-8000-000000000000',
      'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000',
      'alias/missing',
    ]) {
      await expect(kms.send(new DescribeKeyCommand({ KeyId }))).rejects.toBeInstanceOf(NotFoundException);
      await expect(kms.send(new SignCommand({ KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' }))).rejects.toBeInstanceOf(
        NotFoundException,
      );
    }
  });

  it('refuses key specs and usages it does not emulate', async () => {
    await expect(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_4096', KeyUsage: 'SIGN_VERIFY' }))).rejects.toBeInstanceOf(
      UnsupportedOperationException,
    );
    await expect(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).rejects.toBeInstanceOf(
      UnsupportedOperationException,
    );
    await expect(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'ENCRYPT_DECRYPT' })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('answers DisabledException while a key is disabled, and signs again once enabled', async () => {
    const key = await createKey('ECC_NIST_P256');
    const sign = () => kms.send(new SignCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' }));

    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));

    expect(KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    await expect(sign()).rejects.toBeInstanceOf(DisabledException);
    await expect(kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }))).rejects.toBeInstanceOf(DisabledException);

    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));

    await expect(sign()).resolves.toHaveProperty('Signature');
  });

  it('answers UnknownOperationException and SerializationException on the wire like AWS', async () => {
    const post = (target: string, body: string) =>
      fetch(endpoint.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
        body,
      });

    const unknown = await post('TrentService.GenerateMac', '{}');
    const malformed = await post('TrentService.DescribeKey', '{"KeyId": ');

    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(unknown.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ __type: 'SerializationException' });
  });
});

describe('aliases and listing', () => {
  it('resolves alias/<name> and the alias ARN for signing and describing', async () => {
    const key = await createKey('RSA_2048');
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/id-token', TargetKeyId: key.KeyId }));
    const publicKey = await publicKeyOf('alias/id-token');
    const message = Buffer.from('aliased');

    const { Signature, KeyId } = await kms.send(
      new SignCommand({ KeyId: 'arn:aws:kms:us-east-1:111122223333:alias/id-token', Message: message, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }),
    );
    const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: key.KeyId }));

    expect(KeyId).toBe(key.Arn);
    expect(verify('sha256', message, publicKey, Buffer.from(Signature!))).toBe(true);
    expect(Aliases).toEqual([
      expect.objectContaining({
        AliasName: 'alias/id-token',
        AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/id-token',
        TargetKeyId: key.KeyId,
      }),
    ]);
    await expect(kms.send(new CreateAliasCommand({ AliasName: 'alias/id-token', TargetKeyId: key.KeyId }))).rejects.toMatchObject({
      name: 'AlreadyExistsException',
    });
  });

  it('lists every key with its ARN', async () => {
    const key = await createKey('ECC_NIST_P256');

    const { Keys, Truncated } = await kms.send(new ListKeysCommand({}));

    expect(Truncated).toBe(false);
    expect(Keys).toContainEqual({ KeyId: key.KeyId, KeyArn: key.Arn });
  });

  it('puts the region the caller signed for into new ARNs', async () => {
    const west = new KMSClient({ endpoint: endpoint.url, region: 'eu-west-1', credentials });

    const { KeyMetadata } = await west.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));

    expect(KeyMetadata?.Arn).toBe(`arn:aws:kms:eu-west-1:111122223333:key/${KeyMetadata?.KeyId}`);
    west.destroy();
  });
});

describe('faults', () => {
  it('injects ThrottlingException, which the SDK reports by name', async () => {
    const key = await createKey('ECC_NIST_P256');
    const once = clientFor(endpoint, 1);
    endpoint.setFault({ kind: 'throttling' }, 1);
    const before = endpoint.calls.length;

    const error = await once.send(new DescribeKeyCommand({ KeyId: key.KeyId })).catch((e: unknown) => e);

    // KMS's model has no ThrottlingException shape: the SDK raises its base class with that name.
    expect(error).toBeInstanceOf(KMSServiceException);
    expect(error).toMatchObject({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect(endpoint.calls.slice(before)).toEqual([{ operation: 'DescribeKey' }]);
    await expect(once.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).resolves.toHaveProperty('KeyMetadata');
    once.destroy();
  });

  it('injects KMSInternalException with HTTP 500', async () => {
    const once = clientFor(endpoint, 1);
    endpoint.setFault({ kind: 'internal' });

    const error = await once.send(new ListKeysCommand({})).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KMSInternalException);
    expect(error).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
    once.destroy();
  });

  it('lets the SDK retry past a single throttled call', async () => {
    endpoint.setFault({ kind: 'throttling' }, 1);
    const before = endpoint.calls.length;

    await kms.send(new ListKeysCommand({}));

    expect(endpoint.calls.length - before).toBe(2);
  });

  it('hangs until the client gives up', async () => {
    const once = clientFor(endpoint, 1);
    endpoint.setFault({ kind: 'hang' }, 1);

    const started = Date.now();
    const attempt = once.send(new ListKeysCommand({}), { abortSignal: AbortSignal.timeout(200) });

    await expect(attempt).rejects.toMatchObject({ name: expect.stringMatching(/Abort|Timeout/) });
    expect(Date.now() - started).toBeLessThan(5_000);
    once.destroy();
  });

  it('delays answers by the configured time', async () => {
    endpoint.setDelay(150);

    const started = Date.now();
    await kms.send(new ListKeysCommand({}));

    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('SYMMETRIC_DEFAULT key', () => {
  const context = { connection: 'facebook' };
  let keyId: string;
  let arn: string;

  beforeAll(async () => {
    // No KeySpec and no KeyUsage: KMS's default is a symmetric encryption key.
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'secrets' }));
    ({ KeyId: keyId, Arn: arn } = KeyMetadata as { KeyId: string; Arn: string });
  });

  it('is described as AWS describes one', async () => {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata).toMatchObject({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      Enabled: true,
    });
    expect(KeyMetadata?.SigningAlgorithms).toBeUndefined();
  });

  it('encrypts to an opaque blob and decrypts it, without a KeyId, under the same context', async () => {
    const plaintext = Buffer.from('app-secret-123');
    const encrypted = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: context }));
    expect(encrypted).toMatchObject({ KeyId: arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    const blob = Buffer.from(encrypted.CiphertextBlob!);
    expect(blob.includes(plaintext)).toBe(false);
    const again = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: context }));
    expect(Buffer.from(again.CiphertextBlob!).equals(blob)).toBe(false);

    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { ...context } }));
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('app-secret-123');
    expect(decrypted.KeyId).toBe(arn);
  });

  it('refuses another context, a tampered blob and a KeyId that is not the ciphertext’s', async () => {
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x'), EncryptionContext: context }));
    const blob = Buffer.from(CiphertextBlob!);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { connection: 'google' } }))).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toBeInstanceOf(InvalidCiphertextException);
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1]! ^= 1;
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context }))).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
    const other = await kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }));
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context, KeyId: other.KeyMetadata!.KeyId })),
    ).rejects.toBeInstanceOf(IncorrectKeyException);
  });

  it('keeps signing and encryption keys apart, as KMS does', async () => {
    const signing = await createKey('ECC_NIST_P256');
    await expect(kms.send(new EncryptCommand({ KeyId: signing.KeyId, Plaintext: Buffer.from('x') }))).rejects.toBeInstanceOf(
      InvalidKeyUsageException,
    );
    await expect(
      kms.send(new SignCommand({ KeyId: keyId, Message: Buffer.from('x'), SigningAlgorithm: 'ECDSA_SHA_256' })),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
    await expect(kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).rejects.toBeInstanceOf(InvalidKeyUsageException);
  });
});

describe('persistence', () => {
  const directory = mkdtempSync(join(tmpdir(), 'kms-state-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps keys, their state and aliases across a restart', async () => {
    const stateFile = join(directory, 'nested', 'kms.json');
    const first = await startKmsEndpoint({ stateFile });
    const firstClient = clientFor(first);
    const { KeyMetadata } = await firstClient.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    const disabled = await firstClient.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }));
    await firstClient.send(new DisableKeyCommand({ KeyId: disabled.KeyMetadata!.KeyId }));
    await firstClient.send(new CreateAliasCommand({ AliasName: 'alias/kept', TargetKeyId: KeyMetadata!.KeyId }));
    const before = await firstClient.send(new GetPublicKeyCommand({ KeyId: KeyMetadata!.KeyId }));
    const symmetric = await firstClient.send(new CreateKeyCommand({}));
    const sealed = await firstClient.send(
      new EncryptCommand({ KeyId: symmetric.KeyMetadata!.KeyId, Plaintext: Buffer.from('kept secret'), EncryptionContext: { connection: 'c' } }),
    );
    firstClient.destroy();
    await first.close();

    const second = await startKmsEndpoint({ stateFile });
    const secondClient = clientFor(second);
    const after = await secondClient.send(new GetPublicKeyCommand({ KeyId: 'alias/kept' }));
    const message = Buffer.from('after restart');
    const { Signature } = await secondClient.send(
      new SignCommand({ KeyId: KeyMetadata!.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    const described = await secondClient.send(new DescribeKeyCommand({ KeyId: disabled.KeyMetadata!.KeyId }));
    const opened = await secondClient.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { connection: 'c' } }));
    expect(Buffer.from(opened.Plaintext!).toString()).toBe('kept secret');

    expect(Buffer.from(after.PublicKey!).equals(Buffer.from(before.PublicKey!))).toBe(true);
    const publicKey = createPublicKey({ key: Buffer.from(after.PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, Buffer.from(Signature!))).toBe(true);
    expect(described.KeyMetadata).toMatchObject({ KeyState: 'Disabled', CreationDate: disabled.KeyMetadata!.CreationDate });
    secondClient.destroy();
    await second.close();
  });
});
