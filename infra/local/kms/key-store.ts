import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { ACCOUNT_ID, kmsErrors } from './protocol.js';
import { KEY_SPECS, isSupportedKeySpec, type KeySpec } from './signing.js';

/**
 * The keys and aliases of the local KMS endpoint, optionally persisted to a JSON file
 * (private keys as PKCS#8 PEM) so that a persisted local stack keeps verifying the
 * tokens it issued before a restart. Local only: the file holds private keys in clear.
 */
interface KeyBase {
  keyId: string;
  region: string;
  description: string;
  /** Epoch seconds, as the JSON protocol carries timestamps. */
  createdAt: number;
  enabled: boolean;
}

/** A SIGN_VERIFY key pair. */
export interface StoredKey extends KeyBase {
  keySpec: KeySpec;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key: 256 bits for AES-GCM, as KMS uses. */
export interface SymmetricKey extends KeyBase {
  keySpec: 'SYMMETRIC_DEFAULT';
  secret: Buffer;
}

export type AnyKey = StoredKey | SymmetricKey;

export const isSymmetric = (key: AnyKey): key is SymmetricKey => key.keySpec === 'SYMMETRIC_DEFAULT';

export interface StoredAlias {
  /** Full name, `alias/...`. */
  name: string;
  keyId: string;
  createdAt: number;
}

interface PersistedState {
  version: 1;
  keys: ((Omit<StoredKey, 'privateKey' | 'publicKey'> & { privateKeyPem: string }) | (Omit<SymmetricKey, 'secret'> & { secretBase64: string }))[];
  aliases: StoredAlias[];
}

const generate = promisify(generateKeyPair) as (
  type: 'rsa' | 'ec',
  options: object,
) => Promise<{ privateKey: KeyObject; publicKey: KeyObject }>;

const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const nowSeconds = () => Math.floor(Date.now() / 1000);

export const keyArn = (key: Pick<KeyBase, 'region' | 'keyId'>) => `arn:aws:kms:${key.region}:${ACCOUNT_ID}:key/${key.keyId}`;
export const aliasArn = (region: string, name: string) => `arn:aws:kms:${region}:${ACCOUNT_ID}:${name}`;

export class KeyStore {
  private readonly keys = new Map<string, AnyKey>();
  private readonly aliasMap = new Map<string, StoredAlias>();

  private constructor(private readonly stateFile: string | undefined) {}

  static open(stateFile?: string): KeyStore {
    const store = new KeyStore(stateFile);
    if (stateFile && existsSync(stateFile)) store.load(stateFile);
    return store;
  }

  async create(options: { keySpec: KeySpec; region: string; description: string }): Promise<StoredKey> {
    const { type, ...params } = KEY_SPECS[options.keySpec].generate;
    const { privateKey, publicKey } = await generate(type, params);
    const key: StoredKey = {
      keyId: randomUUID(),
      region: options.region,
      keySpec: options.keySpec,
      description: options.description,
      createdAt: nowSeconds(),
      enabled: true,
      privateKey,
      publicKey,
    };
    this.keys.set(key.keyId, key);
    this.save();
    return key;
  }

  createSymmetric(options: { region: string; description: string }): SymmetricKey {
    const key: SymmetricKey = {
      keyId: randomUUID(),
      region: options.region,
      keySpec: 'SYMMETRIC_DEFAULT',
      description: options.description,
      createdAt: nowSeconds(),
      enabled: true,
      secret: randomBytes(32),
    };
    this.keys.set(key.keyId, key);
    this.save();
    return key;
  }

  list(): AnyKey[] {
    return [...this.keys.values()];
  }

  aliases(): StoredAlias[] {
    return [...this.aliasMap.values()];
  }

  /** Accepts what KMS accepts as a KeyId: key id, key ARN, `alias/<name>` or alias ARN. */
  resolve(reference: string, region: string): AnyKey {
    const arn = /^arn:aws[a-z-]*:kms:([a-z0-9-]*):\d*:((?:key|alias)\/.+)$/.exec(reference);
    const resource = arn?.[2] ?? reference;
    if (resource.startsWith('alias/')) {
      const alias = this.aliasMap.get(resource);
      const key = alias && this.keys.get(alias.keyId);
      if (!key) throw kmsErrors.notFound(`Alias ${aliasArn(arn?.[1] ?? region, resource)} is not found.`);
      return key;
    }
    const keyId = resource.startsWith('key/') ? resource.slice('key/'.length) : resource;
    const key = this.keys.get(keyId);
    if (!key) throw kmsErrors.notFound(`Key '${keyArn({ region: arn?.[1] ?? region, keyId })}' does not exist`);
    return key;
  }

  setEnabled(key: AnyKey, enabled: boolean): void {
    key.enabled = enabled;
    this.save();
  }

  createAlias(name: string, key: AnyKey): void {
    if (name.startsWith('alias/aws/')) {
      throw kmsErrors.invalidAliasName('Alias must not begin with alias/aws/ (reserved for AWS managed keys).');
    }
    if (!ALIAS_NAME.test(name)) {
      throw kmsErrors.validation(`Alias name ${name} must begin with alias/ and contain only [a-zA-Z0-9/_-].`);
    }
    if (this.aliasMap.has(name)) {
      throw kmsErrors.alreadyExists(`An alias with the name ${aliasArn(key.region, name)} already exists`);
    }
    this.aliasMap.set(name, { name, keyId: key.keyId, createdAt: nowSeconds() });
    this.save();
  }

  private load(stateFile: string): void {
    let state: PersistedState;
    try {
      state = JSON.parse(readFileSync(stateFile, 'utf8')) as PersistedState;
    } catch (error) {
      throw new Error(`KMS state file ${stateFile} is not readable JSON; move it away to start fresh`, { cause: error });
    }
    for (const persisted of state.keys ?? []) {
      if ('secretBase64' in persisted) {
        const { secretBase64, ...stored } = persisted;
        this.keys.set(stored.keyId, { ...stored, keySpec: 'SYMMETRIC_DEFAULT', secret: Buffer.from(secretBase64, 'base64') });
        continue;
      }
      const { privateKeyPem, ...stored } = persisted;
      if (!isSupportedKeySpec(stored.keySpec)) continue;
      const privateKey = createPrivateKey(privateKeyPem);
      this.keys.set(stored.keyId, { ...stored, privateKey, publicKey: createPublicKey(privateKey) });
    }
    for (const alias of state.aliases ?? []) this.aliasMap.set(alias.name, alias);
  }

  private save(): void {
    if (!this.stateFile) return;
    const state: PersistedState = {
      version: 1,
      keys: this.list().map((key) => {
        if (isSymmetric(key)) {
          const { secret, ...rest } = key;
          return { ...rest, secretBase64: secret.toString('base64') };
        }
        const { privateKey, publicKey: _publicKey, ...rest } = key;
        return { ...rest, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
      }),
      aliases: this.aliases(),
    };
    mkdirSync(dirname(this.stateFile), { recursive: true });
    // Write then rename, so a crash never leaves half a key file behind.
    const temporary = `${this.stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state, null, 2), { mode: 0o600 });
    renameSync(temporary, this.stateFile);
  }
}
