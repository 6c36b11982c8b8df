import { DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import type { KmsSender } from '../clients.js';
import { errors, isOAuthError } from '../core/errors.js';
import { callKms } from '../tokens/kms-call.js';
import type { SecretOpener, SecretSealer } from './connection-secrets.js';

/**
 * Direct KMS Encrypt (secrets are at most a few KiB, under Encrypt's 4096-byte limit, so
 * no envelope is needed) and Decrypt, memoised by ciphertext for the container's life:
 * a warm container decrypts each secret once, however often the config cache refreshes.
 */
export const createKmsSecretOpener = (options: { kms: KmsSender; keyId?: string; timeoutMs: number }): SecretOpener => {
  const opened = new Map<string, Promise<string>>();
  return {
    open(ciphertext, context) {
      const memoKey = `${JSON.stringify(context)}:${ciphertext}`;
      let plaintext = opened.get(memoKey);
      if (plaintext === undefined) {
        plaintext = callKms(options.timeoutMs, () =>
          options.kms.send(
            new DecryptCommand({
              CiphertextBlob: Buffer.from(ciphertext, 'base64'),
              EncryptionContext: context,
              // Named when known: KMS then refuses a ciphertext of any other key.
              ...(options.keyId ? { KeyId: options.keyId } : {}),
            }),
          ),
        ).then(
          (output) => Buffer.from(output.Plaintext!).toString('utf8'),
          (error: unknown) => {
            // Same 503 and reason as a signing outage, in words that fit this call.
            if (isOAuthError(error) && error.status === 503) {
              throw errors.unavailable('the connection secrets could not be decrypted', 'kms_unavailable', error);
            }
            throw error;
          },
        );
        opened.set(memoKey, plaintext);
        // A failed decrypt must not stick: the next request tries again.
        plaintext.catch(() => opened.delete(memoKey));
      }
      return plaintext;
    },
  };
};

export const createKmsSecretSealer = (options: { kms: KmsSender; keyId: string }): SecretSealer => ({
  keyId: options.keyId,
  async seal(plaintext, context) {
    const output = await options.kms.send(
      new EncryptCommand({ KeyId: options.keyId, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: context }),
    );
    return Buffer.from(output.CiphertextBlob!).toString('base64');
  },
});
