import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConnectionConfig } from '../core/tenant.js';

/**
 * Connection secrets at rest (DESIGN section 13). The options named here never reach the
 * table in clear: `tenant apply` encrypts each under the stack's symmetric KMS key, with an
 * encryption context naming the connection and the option, and the token function decrypts
 * them when it reads the connection. A new strategy's secret is one more entry.
 */
export const SECRET_OPTION_NAMES = ['client_secret', 'private_key'] as const;

export type SecretOptionName = (typeof SECRET_OPTION_NAMES)[number];

/** The KMS encryption context of one secret: a ciphertext opens only for its own connection and option. */
export const secretContext = (connection: string, option: string): Record<string, string> => ({ connection, option });

export interface SecretSealer {
  /** Key that seals; part of the fingerprint, so a new key re-encrypts everything. */
  readonly keyId: string;
  /** Ciphertext (base64) of `plaintext` under `context`. */
  seal(plaintext: string, context: Record<string, string>): Promise<string>;
}

export interface SecretOpener {
  open(ciphertext: string, context: Record<string, string>): Promise<string>;
}

/** Ciphertexts by option name, as stored in the item's `sealed_secrets` attribute. */
export type SealedSecrets = Partial<Record<SecretOptionName, string>>;

export interface SealedConnection {
  /** The connection without its secrets: what the `config` attribute holds. */
  config: ConnectionConfig;
  sealed: SealedSecrets;
  /** Salted HMAC of the secrets; see `fingerprintSecrets`. Undefined when there are none. */
  fingerprint: string | undefined;
}

export const secretsOf = (connection: ConnectionConfig): Array<[SecretOptionName, string]> => {
  const options = connection.options as unknown as Record<string, unknown>;
  return SECRET_OPTION_NAMES.flatMap((name) => (typeof options[name] === 'string' ? [[name, options[name] as string] as [SecretOptionName, string]] : []));
};

export const withoutSecrets = (connection: ConnectionConfig): ConnectionConfig => {
  const options = { ...(connection.options as unknown as Record<string, unknown>) };
  for (const name of SECRET_OPTION_NAMES) delete options[name];
  return { ...connection, options: options as unknown as ConnectionConfig['options'] };
};

/**
 * Lets `tenant apply` say "unchanged" without the right to decrypt: HMAC-SHA256 of the
 * secrets (with the key id and connection name) under a random salt stored beside it.
 * Provider secrets are long random strings, so the fingerprint cannot be reversed or
 * guessed; it only tells whether a file's secret is the one stored.
 */
const fingerprintWith = (salt: Buffer, keyId: string, connection: string, secrets: Array<[string, string]>): string =>
  `${salt.toString('base64url')}.${createHmac('sha256', salt).update(JSON.stringify([keyId, connection, secrets])).digest('base64url')}`;

export const fingerprintSecrets = (keyId: string, connection: ConnectionConfig): string | undefined => {
  const secrets = secretsOf(connection);
  return secrets.length === 0 ? undefined : fingerprintWith(randomBytes(16), keyId, connection.name, secrets);
};

export const matchesFingerprint = (stored: unknown, keyId: string, connection: ConnectionConfig): boolean => {
  const secrets = secretsOf(connection);
  if (secrets.length === 0) return stored === undefined;
  if (typeof stored !== 'string' || !stored.includes('.')) return false;
  const expected = fingerprintWith(Buffer.from(stored.split('.')[0]!, 'base64url'), keyId, connection.name, secrets);
  return expected.length === stored.length && timingSafeEqual(Buffer.from(expected), Buffer.from(stored));
};

export const sealConnection = async (connection: ConnectionConfig, sealer: SecretSealer | undefined): Promise<SealedConnection> => {
  const secrets = secretsOf(connection);
  if (secrets.length > 0 && sealer === undefined) {
    throw new Error(`connection ${connection.name} has secrets, and no secrets key to encrypt them with was given`);
  }
  const sealed: SealedSecrets = {};
  for (const [name, value] of secrets) sealed[name] = await sealer!.seal(value, secretContext(connection.name, name));
  return {
    config: withoutSecrets(connection),
    sealed,
    fingerprint: sealer === undefined ? undefined : fingerprintSecrets(sealer.keyId, connection),
  };
};

/** The connection with its secrets back in `options`; items written before encryption pass as they are. */
export const openConnection = async (
  config: ConnectionConfig,
  sealed: SealedSecrets | undefined,
  opener: SecretOpener | undefined,
): Promise<ConnectionConfig> => {
  const entries = Object.entries(sealed ?? {}) as Array<[SecretOptionName, string]>;
  if (entries.length === 0) return config;
  if (opener === undefined) throw new Error(`connection ${config.name} has encrypted secrets, and this function may not decrypt them`);
  const opened = await Promise.all(entries.map(async ([name, ciphertext]) => [name, await opener.open(ciphertext, secretContext(config.name, name))] as const));
  return { ...config, options: { ...config.options, ...Object.fromEntries(opened) } };
};
