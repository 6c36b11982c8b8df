import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { kmsErrors } from './protocol.js';

/**
 * Symmetric encryption as the local KMS endpoint does it: AES-256-GCM, the encryption
 * context bound as additional authenticated data (a different context fails to decrypt,
 * as at AWS), and the key id inside the ciphertext so that Decrypt needs no KeyId. The blob
 * layout is ours (AWS's is opaque too): version, key id, IV, tag, ciphertext.
 */
const VERSION = 1;
const KEY_ID_BYTES = 36;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type EncryptionContext = Record<string, string>;

/** The context in a canonical form: KMS treats it as an unordered map. */
const contextBytes = (context: EncryptionContext): Buffer =>
  Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), 'utf8');

export const encryptBlob = (keyId: string, secret: Buffer, plaintext: Buffer, context: EncryptionContext): Buffer => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  cipher.setAAD(contextBytes(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), Buffer.from(keyId.padEnd(KEY_ID_BYTES), 'ascii'), iv, cipher.getAuthTag(), body]);
};

/** The key id a ciphertext names, or InvalidCiphertextException when it is none of ours. */
export const keyIdOfBlob = (blob: Buffer): string => {
  if (blob.length < 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) throw kmsErrors.invalidCiphertext();
  return blob.subarray(1, 1 + KEY_ID_BYTES).toString('ascii').trim();
};

export const decryptBlob = (secret: Buffer, blob: Buffer, context: EncryptionContext): Buffer => {
  let offset = 1 + KEY_ID_BYTES;
  const iv = blob.subarray(offset, (offset += IV_BYTES));
  const tag = blob.subarray(offset, (offset += TAG_BYTES));
  try {
    const decipher = createDecipheriv('aes-256-gcm', secret, iv);
    decipher.setAAD(contextBytes(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(offset)), decipher.final()]);
  } catch {
    // A wrong context, a tampered blob or another key: AWS says the same, without detail.
    throw kmsErrors.invalidCiphertext();
  }
};
