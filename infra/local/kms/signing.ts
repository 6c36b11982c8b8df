import { constants, privateEncrypt, publicDecrypt, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { signDigestP256, verifyDigestP256 } from './p256.js';
import { kmsErrors } from './protocol.js';

/** Every value of the KMS API enums, so that unknown values fail validation as at AWS. */
export const ALL_KEY_SPECS = [
  'RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1',
  'ECC_NIST_EDWARDS25519', 'SYMMETRIC_DEFAULT', 'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2',
  'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ML_KEM_512', 'ML_KEM_768', 'ML_KEM_1024',
] as const;
export const ALL_KEY_USAGES = [
  'SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT', 'ENCAPSULATE_DECAPSULATE',
] as const;
export const ALL_SIGNING_ALGORITHMS = [
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'ED25519_SHA_512', 'ED25519_PH_SHA_512',
  'ML_DSA_SHAKE_256', 'SM2DSA',
] as const;
export const MESSAGE_TYPES = ['RAW', 'DIGEST', 'EXTERNAL_MU'] as const;

export type SigningAlgorithm = (typeof ALL_SIGNING_ALGORITHMS)[number];
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** The key specs this endpoint can create, with the algorithms AWS lists for them. */
export const KEY_SPECS = {
  RSA_2048: {
    generate: { type: 'rsa', modulusLength: 2048 },
    algorithms: [
      'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
      'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
    ],
  },
  ECC_NIST_P256: {
    generate: { type: 'ec', namedCurve: 'prime256v1' },
    algorithms: ['ECDSA_SHA_256'],
  },
} as const satisfies Record<string, { generate: object; algorithms: readonly SigningAlgorithm[] }>;

export type KeySpec = keyof typeof KEY_SPECS;
export const isSupportedKeySpec = (spec: string): spec is KeySpec => Object.hasOwn(KEY_SPECS, spec);

type Hash = 'sha256' | 'sha384' | 'sha512';
interface Scheme {
  family: 'pkcs1' | 'pss' | 'ecdsa';
  hash: Hash;
}

const SCHEMES: Partial<Record<SigningAlgorithm, Scheme>> = {
  RSASSA_PKCS1_V1_5_SHA_256: { family: 'pkcs1', hash: 'sha256' },
  RSASSA_PKCS1_V1_5_SHA_384: { family: 'pkcs1', hash: 'sha384' },
  RSASSA_PKCS1_V1_5_SHA_512: { family: 'pkcs1', hash: 'sha512' },
  RSASSA_PSS_SHA_256: { family: 'pss', hash: 'sha256' },
  RSASSA_PSS_SHA_384: { family: 'pss', hash: 'sha384' },
  RSASSA_PSS_SHA_512: { family: 'pss', hash: 'sha512' },
  ECDSA_SHA_256: { family: 'ecdsa', hash: 'sha256' },
};

const DIGEST_LENGTH: Record<Hash, number> = { sha256: 32, sha384: 48, sha512: 64 };

// RFC 8017 section 9.2 note 1: the DER DigestInfo prefix that EMSA-PKCS1-v1_5 puts before the hash.
const DIGEST_INFO: Record<Hash, Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

export interface SignatureRequest {
  keySpec: KeySpec;
  algorithm: SigningAlgorithm;
  messageType: MessageType;
  message: Buffer;
}

/** Checks what AWS checks once the key is known; throws the matching KMS error. */
const schemeFor = ({ keySpec, algorithm, messageType, message }: SignatureRequest): Scheme => {
  const scheme = SCHEMES[algorithm];
  if (!scheme || !(KEY_SPECS[keySpec].algorithms as readonly string[]).includes(algorithm)) {
    throw kmsErrors.invalidKeyUsage(`${algorithm} is not a valid signing algorithm for this KMS key's key spec ${keySpec}.`);
  }
  if (messageType === 'EXTERNAL_MU') throw kmsErrors.invalidKeyUsage('EXTERNAL_MU is only valid for ML_DSA keys.');
  if (messageType === 'DIGEST') {
    if (message.length !== DIGEST_LENGTH[scheme.hash]) {
      throw kmsErrors.validation(`Digest is invalid length for algorithm ${algorithm}.`);
    }
    if (scheme.family === 'pss') {
      throw kmsErrors.unsupported(`The local KMS endpoint does not sign or verify ${algorithm} digests.`);
    }
  }
  return scheme;
};

const pssOptions = (key: KeyObject, hash: Hash) => ({
  key,
  padding: constants.RSA_PKCS1_PSS_PADDING,
  // KMS uses a salt as long as the hash.
  saltLength: DIGEST_LENGTH[hash],
});

export const createSignature = (privateKey: KeyObject, request: SignatureRequest): Buffer => {
  const { family, hash } = schemeFor(request);
  const { message } = request;
  if (request.messageType === 'RAW') {
    if (family === 'pss') return sign(hash, message, pssOptions(privateKey, hash));
    if (family === 'ecdsa') return sign(hash, message, { key: privateKey, dsaEncoding: 'der' });
    return sign(hash, message, privateKey);
  }
  if (family === 'ecdsa') return signDigestP256(privateKey, message);
  return privateEncrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
    Buffer.concat([DIGEST_INFO[hash], message]),
  );
};

export const checkSignature = (publicKey: KeyObject, request: SignatureRequest, signature: Buffer): boolean => {
  const { family, hash } = schemeFor(request);
  const { message } = request;
  try {
    if (request.messageType === 'RAW') {
      if (family === 'pss') return verify(hash, message, pssOptions(publicKey, hash), signature);
      if (family === 'ecdsa') return verify(hash, message, { key: publicKey, dsaEncoding: 'der' }, signature);
      return verify(hash, message, publicKey, signature);
    }
    if (family === 'ecdsa') return verifyDigestP256(publicKey, message, signature);
    const expected = Buffer.concat([DIGEST_INFO[hash], message]);
    const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.length === expected.length && timingSafeEqual(recovered, expected);
  } catch {
    // OpenSSL throws on signatures that are not even well-formed; for KMS that is just "invalid".
    return false;
  }
};
