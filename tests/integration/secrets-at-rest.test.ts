import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DecryptCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_OPTION_NAMES } from '../../functions/store/connection-secrets.js';
import { FACEBOOK_APP, FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_APP } from '../../infra/local/emulators/google.js';
import { TWITTER_APP, TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import { WEIBO_APP } from '../../infra/local/emulators/weibo.js';
import { APPLE_APP } from '../../infra/local/emulators/apple.js';
import { buildLocalTenant } from '../../infra/local/local-tenant.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { runTenantCli } from '../../infra/local/tenant-cli.js';
import { postToken, startTestStack } from '../support/stack.js';

/**
 * DESIGN section 13: whoever can read the table (a backup, an export, a role with
 * dynamodb:Scan) learns no provider secret; only KMS Decrypt, granted to the token
 * function alone, turns the stored ciphertexts back into secrets.
 */
// Apple's .p8 key: each base64 line of its body, since the whole PEM would never match a JSON-escaped dump.
const APPLE_KEY_LINES = APPLE_APP.private_key.split('\n').filter((line) => line.length > 0 && !line.startsWith('-----'));
const SECRETS = [FACEBOOK_APP.client_secret, GOOGLE_APP.client_secret, TWITTER_APP.client_secret, WEIBO_APP.client_secret, ...APPLE_KEY_LINES];

describe('connection secrets at rest', () => {
  let stack: LocalStack;
  let dir: string;
  let tenantFile: string;
  const output: string[] = [];

  const apply = () =>
    runTenantCli(
      [
        'apply',
        tenantFile,
        '--table',
        stack.tableName,
        '--endpoint',
        stack.dynamoEndpoint,
        '--region',
        'us-east-1',
        '--secrets-key',
        stack.secretsKeyId,
        '--kms-endpoint',
        stack.kmsEndpoint,
      ],
      (line) => output.push(line),
    );

  const rawItems = async () => {
    const ddb = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1' });
    try {
      return (await ddb.send(new ScanCommand({ TableName: stack.tableName }))).Items ?? [];
    } finally {
      ddb.destroy();
    }
  };

  beforeAll(async () => {
    // An empty tenant: everything in the table below was written by the CLI.
    stack = await startTestStack({ tenant: { clients: [], connections: [] } });
    dir = mkdtempSync(path.join(tmpdir(), 'secrets-at-rest-'));
    tenantFile = path.join(dir, 'tenant.json');
    const endpoints = {
      facebook: stack.emulators.facebook.endpoints,
      google: stack.emulators.google.endpoints,
      twitter: stack.emulators.twitter.endpoints,
      weibo: stack.emulators.weibo.endpoints,
      apple: stack.emulators.apple.endpoints,
    };
    writeFileSync(tenantFile, JSON.stringify(buildLocalTenant(endpoints)));
  });
  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('`tenant apply` stores no secret in clear: the raw items hold ciphertexts and a salted fingerprint only', async () => {
    expect(await apply()).toBe(0);
    expect(output.join('\n')).toMatch(/created\s+connection facebook/);

    const items = await rawItems();
    const connections = items.filter((item) => item.pk?.S?.startsWith('CONNECTION#'));
    expect(connections).toHaveLength(5);
    const raw = JSON.stringify(items);
    for (const secret of SECRETS) {
      expect(raw).not.toContain(secret);
      expect(raw).not.toContain(Buffer.from(secret).toString('base64'));
    }
    for (const item of connections) {
      const options = item.config!.M!.options!.M!;
      for (const name of SECRET_OPTION_NAMES) expect(options[name]).toBeUndefined();
      expect(Object.keys(item.sealed_secrets!.M!)).toEqual(item.pk!.S === 'CONNECTION#apple' ? ['private_key'] : ['client_secret']);
      expect(item.secrets_fingerprint!.S).toMatch(/^[\w-]+\.[\w-]+$/);
    }
  });

  it('the token function decrypts them and the exchanges work', async () => {
    const facebook = await postToken(stack, { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice });
    expect(facebook.status).toBe(200);
    // Twitter signs every call with the consumer secret: a wrong one would be refused by the emulator.
    const twitter = await postToken(stack, {
      client_id: 'my-app',
      connection: 'twitter',
      access_token: TWITTER_TEST_TOKENS.ada.token,
      access_token_secret: TWITTER_TEST_TOKENS.ada.secret,
    });
    expect(twitter.status).toBe(200);
  });

  it('a ciphertext opens only under its own connection’s encryption context', async () => {
    const items = await rawItems();
    const facebook = items.find((item) => item.pk?.S === 'CONNECTION#facebook')!;
    const blob = Buffer.from(facebook.sealed_secrets!.M!.client_secret!.S!, 'base64');
    const kms = new KMSClient({ endpoint: stack.kmsEndpoint, region: 'us-east-1' });
    try {
      const opened = await kms.send(
        new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { connection: 'facebook', option: 'client_secret' } }),
      );
      expect(Buffer.from(opened.Plaintext!).toString()).toBe(FACEBOOK_APP.client_secret);
      await expect(
        kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { connection: 'weibo', option: 'client_secret' } })),
      ).rejects.toBeInstanceOf(InvalidCiphertextException);
    } finally {
      kms.destroy();
    }
  });

  it('applying the same file again is "unchanged" without decrypting anything', async () => {
    output.length = 0;
    expect(await apply()).toBe(0);
    expect(output.join('\n')).toMatch(/unchanged\s+connection facebook, connection google-oauth2, connection twitter, connection weibo/);
  });

  it('a new secret in the file is re-encrypted, and a deployed table without --secrets-key is refused before any write', async () => {
    const tenant = JSON.parse(readFileSync(tenantFile, 'utf8')) as ReturnType<typeof buildLocalTenant>;
    tenant.connections.find((connection) => connection.name === 'weibo')!.options.client_secret = 'a-new-weibo-secret-0123456789';
    writeFileSync(tenantFile, JSON.stringify(tenant));
    output.length = 0;
    expect(await apply()).toBe(0);
    expect(output.join('\n')).toMatch(/updated\s+connection weibo/);
    expect(JSON.stringify(await rawItems())).not.toContain('a-new-weibo-secret-0123456789');

    output.length = 0;
    const refused = await runTenantCli(['apply', tenantFile, '--table', stack.tableName, '--endpoint', stack.dynamoEndpoint], (line) =>
      output.push(line),
    );
    expect(refused).toBe(2);
    expect(output.join('\n')).toMatch(/--secrets-key/);
  });
});
