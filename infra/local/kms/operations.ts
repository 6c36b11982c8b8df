import { aliasArn, isSymmetric, keyArn, type AnyKey, type KeyStore, type StoredKey, type SymmetricKey } from './key-store.js';
import { decryptBlob, encryptBlob, keyIdOfBlob } from './encryption.js';
import {
  ACCOUNT_ID,
  kmsErrors,
  oneOf,
  optionalString,
  optionalStringMap,
  requiredBlob,
  requiredString,
  type JsonObject,
} from './protocol.js';
import {
  ALL_KEY_SPECS,
  ALL_KEY_USAGES,
  ALL_SIGNING_ALGORITHMS,
  KEY_SPECS,
  MESSAGE_TYPES,
  checkSignature,
  createSignature,
  isSupportedKeySpec,
  type SignatureRequest,
} from './signing.js';

/** The KMS operations this endpoint implements, by their `X-Amz-Target` name. */
export interface OperationContext {
  store: KeyStore;
  /** The region the caller signed for; new keys and ARNs live there. */
  region: string;
}

export type Operation = (input: JsonObject, context: OperationContext) => JsonObject | Promise<JsonObject>;

const MAX_MESSAGE_BYTES = 4096;

const keyMetadata = (key: AnyKey) => ({
  AWSAccountId: ACCOUNT_ID,
  KeyId: key.keyId,
  Arn: keyArn(key),
  CreationDate: key.createdAt,
  Enabled: key.enabled,
  Description: key.description,
  KeyUsage: isSymmetric(key) ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY',
  KeyState: key.enabled ? 'Enabled' : 'Disabled',
  Origin: 'AWS_KMS',
  KeyManager: 'CUSTOMER',
  CustomerMasterKeySpec: key.keySpec,
  KeySpec: key.keySpec,
  ...(isSymmetric(key) ? { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] } : { SigningAlgorithms: [...KEY_SPECS[key.keySpec].algorithms] }),
  MultiRegion: false,
});

const resolveKey = (input: JsonObject, { store, region }: OperationContext) =>
  store.resolve(requiredString(input, 'KeyId'), region);

/** A key that a cryptographic operation may use: disabled keys answer DisabledException. */
const usableKey = (input: JsonObject, context: OperationContext) => enabled(resolveKey(input, context));

const enabled = <K extends AnyKey>(key: K): K => {
  if (!key.enabled) throw kmsErrors.disabled(keyArn(key));
  return key;
};

/** A key for Sign/Verify/GetPublicKey: a symmetric key there is InvalidKeyUsageException, as at AWS. */
const signingKey = (input: JsonObject, context: OperationContext): StoredKey => {
  const key = usableKey(input, context);
  if (isSymmetric(key)) throw kmsErrors.invalidKeyUsage(`${keyArn(key)} key usage is ENCRYPT_DECRYPT which is not valid for this operation.`);
  return key;
};

const encryptionKey = (key: AnyKey): SymmetricKey => {
  if (!isSymmetric(key)) throw kmsErrors.invalidKeyUsage(`${keyArn(key)} key usage is SIGN_VERIFY which is not valid for this operation.`);
  return key;
};

const encryptionAlgorithm = (input: JsonObject) =>
  oneOf('EncryptionAlgorithm', optionalString(input, 'EncryptionAlgorithm'), ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] as const);

const signatureRequest = (input: JsonObject, key: StoredKey): SignatureRequest => {
  const message = requiredBlob(input, 'Message');
  if (message.length === 0 || message.length > MAX_MESSAGE_BYTES) {
    throw kmsErrors.validation(
      `1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length between 1 and ${MAX_MESSAGE_BYTES}`,
    );
  }
  return {
    keySpec: key.keySpec,
    message,
    messageType: oneOf('MessageType', optionalString(input, 'MessageType'), MESSAGE_TYPES) ?? 'RAW',
    algorithm: oneOf('SigningAlgorithm', requiredString(input, 'SigningAlgorithm'), ALL_SIGNING_ALGORITHMS)!,
  };
};

const createKey: Operation = async (input, context) => {
  const { store, region } = context;
  const keySpec =
    oneOf('KeySpec', optionalString(input, 'KeySpec') ?? optionalString(input, 'CustomerMasterKeySpec'), ALL_KEY_SPECS) ??
    'SYMMETRIC_DEFAULT';
  const keyUsage = oneOf('KeyUsage', optionalString(input, 'KeyUsage'), ALL_KEY_USAGES);
  if (keySpec === 'SYMMETRIC_DEFAULT' && (keyUsage === undefined || keyUsage === 'ENCRYPT_DECRYPT')) {
    const key = context.store.createSymmetric({ region: context.region, description: optionalString(input, 'Description') ?? '' });
    return { KeyMetadata: keyMetadata(key) };
  }
  if (!isSupportedKeySpec(keySpec)) {
    throw kmsErrors.unsupported(
      `KeySpec ${keySpec} is not supported by the local KMS endpoint (SYMMETRIC_DEFAULT, RSA_2048, ECC_NIST_P256).`,
    );
  }
  if (keyUsage !== 'SIGN_VERIFY') {
    // AWS requires KeyUsage for asymmetric keys; RSA encryption is real KMS but not emulated here.
    if (keyUsage === undefined) throw kmsErrors.validation(`KeyUsage must be specified for KeySpec ${keySpec}.`);
    if (keySpec === 'RSA_2048' && keyUsage === 'ENCRYPT_DECRYPT') {
      throw kmsErrors.unsupported('The local KMS endpoint only supports SIGN_VERIFY keys.');
    }
    throw kmsErrors.validation(`KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}.`);
  }
  const key = await store.create({ keySpec, region, description: optionalString(input, 'Description') ?? '' });
  return { KeyMetadata: keyMetadata(key) };
};

const sign: Operation = (input, context) => {
  const key = signingKey(input, context);
  const request = signatureRequest(input, key);
  const signature = createSignature(key.privateKey, request);
  return { KeyId: keyArn(key), Signature: signature.toString('base64'), SigningAlgorithm: request.algorithm };
};

const verify: Operation = (input, context) => {
  const key = signingKey(input, context);
  const request = signatureRequest(input, key);
  const signature = requiredBlob(input, 'Signature');
  if (!checkSignature(key.publicKey, request, signature)) throw kmsErrors.invalidSignature();
  return { KeyId: keyArn(key), SignatureValid: true, SigningAlgorithm: request.algorithm };
};

const getPublicKey: Operation = (input, context) => {
  const key = signingKey(input, context);
  const { KeySpec, KeyUsage } = keyMetadata(key);
  const SigningAlgorithms = [...KEY_SPECS[key.keySpec].algorithms];
  return {
    KeyId: keyArn(key),
    PublicKey: key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    CustomerMasterKeySpec: KeySpec,
    KeySpec,
    KeyUsage,
    SigningAlgorithms,
  };
};

const MAX_PLAINTEXT_BYTES = 4096;

const encrypt: Operation = (input, context) => {
  const key = encryptionKey(usableKey(input, context));
  if ((encryptionAlgorithm(input) ?? 'SYMMETRIC_DEFAULT') !== 'SYMMETRIC_DEFAULT') {
    throw kmsErrors.invalidKeyUsage('Only SYMMETRIC_DEFAULT is valid for a symmetric key.');
  }
  const plaintext = requiredBlob(input, 'Plaintext');
  if (plaintext.length === 0 || plaintext.length > MAX_PLAINTEXT_BYTES) {
    throw kmsErrors.validation(
      `1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and ${MAX_PLAINTEXT_BYTES}`,
    );
  }
  const blob = encryptBlob(key.keyId, key.secret, plaintext, optionalStringMap(input, 'EncryptionContext'));
  return { CiphertextBlob: blob.toString('base64'), KeyId: keyArn(key), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
};

const decrypt: Operation = (input, context) => {
  const blob = requiredBlob(input, 'CiphertextBlob');
  const named = keyIdOfBlob(blob);
  let key: AnyKey;
  try {
    key = context.store.resolve(named, context.region);
  } catch {
    throw kmsErrors.invalidCiphertext();
  }
  const requested = optionalString(input, 'KeyId');
  if (requested !== undefined && context.store.resolve(requested, context.region).keyId !== key.keyId) throw kmsErrors.incorrectKey();
  const symmetric = encryptionKey(enabled(key));
  const plaintext = decryptBlob(symmetric.secret, blob, optionalStringMap(input, 'EncryptionContext'));
  return { KeyId: keyArn(symmetric), Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
};

const describeKey: Operation = (input, context) => ({ KeyMetadata: keyMetadata(resolveKey(input, context)) });

const setEnabled =
  (enabled: boolean): Operation =>
  (input, context) => {
    context.store.setEnabled(resolveKey(input, context), enabled);
    return {};
  };

// Paging is not emulated: a local store holds a handful of keys.
const listKeys: Operation = (_input, { store }) => ({
  Keys: store.list().map((key) => ({ KeyId: key.keyId, KeyArn: keyArn(key) })),
  Truncated: false,
});

const createAlias: Operation = (input, context) => {
  const name = requiredString(input, 'AliasName');
  const target = requiredString(input, 'TargetKeyId');
  if (target.startsWith('alias/') || target.includes(':alias/')) {
    throw kmsErrors.validation('TargetKeyId must be a key ID or key ARN, not an alias.');
  }
  context.store.createAlias(name, context.store.resolve(target, context.region));
  return {};
};

const listAliases: Operation = (input, context) => {
  const filter = optionalString(input, 'KeyId');
  const keyId = filter === undefined ? undefined : context.store.resolve(filter, context.region).keyId;
  return {
    Aliases: context.store
      .aliases()
      .filter((alias) => keyId === undefined || alias.keyId === keyId)
      .map((alias) => ({
        AliasName: alias.name,
        AliasArn: aliasArn(context.region, alias.name),
        TargetKeyId: alias.keyId,
        CreationDate: alias.createdAt,
        LastUpdatedDate: alias.createdAt,
      })),
    Truncated: false,
  };
};

export const operations: Readonly<Record<string, Operation>> = {
  CreateKey: createKey,
  Sign: sign,
  Verify: verify,
  GetPublicKey: getPublicKey,
  Encrypt: encrypt,
  Decrypt: decrypt,
  DescribeKey: describeKey,
  ListKeys: listKeys,
  DisableKey: setEnabled(false),
  EnableKey: setEnabled(true),
  CreateAlias: createAlias,
  ListAliases: listAliases,
};
