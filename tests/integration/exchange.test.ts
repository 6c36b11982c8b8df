import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createPublicKey } from 'node:crypto';
import { jwtVerify, decodeProtectedHeader } from 'jose';
import { LEGACY_ACCESS_TOKEN_GRANT } from '../../functions/core/errors.js';
import { FACEBOOK_TEST_TOKENS, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import { TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

const publicKeyOf = async (stack: LocalStack) => {
  const kms = new KMSClient({ endpoint: stack.kmsEndpoint, region: 'us-east-1' });
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: stack.signingKeyId }));
  return createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
};

const documentClient = (stack: LocalStack) =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1' }));

const facebook = (token: string = FACEBOOK_TEST_TOKENS.alice, extra: Record<string, unknown> = {}) => ({
  client_id: 'my-app',
  connection: 'facebook',
  access_token: token,
  ...extra,
});

describe.each(['RS256', 'ES256'] as const)('exchange signed with %s', (alg) => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ signingAlg: alg });
  });
  afterAll(() => stack?.stop());

  it('returns tokens whose id_token verifies against the KMS public key', async () => {
    const { status, headers, body } = await postToken(stack, facebook(undefined, { scope: 'openid profile email' }));
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('pragma')).toBe('no-cache');
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      id_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 86_400,
    });
    const { payload, protectedHeader } = await jwtVerify(body.id_token as string, await publicKeyOf(stack), {
      issuer: stack.issuer,
      audience: 'my-app',
      algorithms: [alg],
    });
    expect(protectedHeader).toMatchObject({ alg, typ: 'JWT', kid: expect.any(String) });
    expect(stack.issuer.endsWith('/')).toBe(true);
    expect(payload.sub).toBe(`facebook|${FACEBOOK_USERS.alice.id}`);
    expect(payload.exp! - payload.iat!).toBe(36_000);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(10);
    expect(payload).toMatchObject({ name: FACEBOOK_USERS.alice.name, email: FACEBOOK_USERS.alice.email, email_verified: false });
  });

  it('limits claims to the scope and omits the id_token without openid', async () => {
    const plain = await postToken(stack, facebook());
    const { payload } = await jwtVerify(plain.body.id_token as string, await publicKeyOf(stack));
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'sub']);

    const legacy = await postToken(stack, facebook(undefined, { scope: 'openid name email' }));
    const legacyClaims = (await jwtVerify(legacy.body.id_token as string, await publicKeyOf(stack))).payload;
    expect(legacyClaims).toMatchObject({ name: FACEBOOK_USERS.alice.name, email: FACEBOOK_USERS.alice.email });
    expect(legacyClaims.given_name).toBeUndefined();

    const noOpenid = await postToken(stack, facebook(undefined, { scope: 'profile' }));
    expect(noOpenid.status).toBe(200);
    expect(noOpenid.body.id_token).toBeUndefined();
  });
});

describe('exchange against the tenant and the store', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({
      tenant: (endpoints) => ({
        clients: [
          { client_id: 'my-app', grant_types: [LEGACY_ACCESS_TOKEN_GRANT], connections: ['facebook', 'twitter'], id_token_lifetime: 600, link_by_verified_email: false },
          { client_id: 'no-grant', grant_types: [], connections: ['facebook'], id_token_lifetime: 600, link_by_verified_email: false },
        ],
        connections: [
          { name: 'facebook', strategy: 'facebook', options: { client_id: '1471395123456789', client_secret: '5f0c2e9a7b3d4c1e8f6a0b2d4c6e8f0a', endpoints: endpoints.facebook } },
          { name: 'twitter', strategy: 'twitter', options: { client_id: 'EmuTwitterConsumerKey0001', client_secret: 'EmuTwitterConsumerSecret0001xVz1evFS4wEEPTGEFPHBog', endpoints: endpoints.twitter } },
          { name: 'weibo', strategy: 'weibo', options: { client_id: '3847562910', client_secret: 'x', endpoints: endpoints.weibo } },
        ],
      }),
    });
  });
  afterAll(() => stack?.stop());

  const grantText = `Grant type '${LEGACY_ACCESS_TOKEN_GRANT}' not allowed for the client.`;
  const errorTable: Array<[string, Record<string, unknown>, number, string, string]> = [
    ['no client_id', { connection: 'facebook', access_token: 't' }, 400, 'invalid_request', 'missing client_id parameter'],
    ['no access_token', { client_id: 'my-app', connection: 'facebook' }, 400, 'invalid_request', 'missing access_token parameter'],
    ['no connection', { client_id: 'my-app', access_token: 't' }, 400, 'invalid_request', 'missing connection parameter'],
    ['twitter without secret', { client_id: 'my-app', connection: 'twitter', access_token: TWITTER_TEST_TOKENS.ada.token }, 400, 'invalid_request', 'missing access_token_secret parameter'],
    ['unknown connection', facebook(undefined, { connection: 'myspace' }), 400, 'invalid_request', 'the connection was not found'],
    ['connection not enabled', facebook(undefined, { connection: 'weibo' }), 400, 'invalid_request', 'the connection was disabled'],
    ['invalid provider token', facebook('fb-not-a-token'), 401, 'invalid_request', 'invalid access_token: invalid_token'],
    ['token of another app', facebook(FACEBOOK_TEST_TOKENS.otherApp), 401, 'invalid_request', 'invalid access_token: invalid_token'],
    ['unknown client', facebook(undefined, { client_id: 'who' }), 403, 'unauthorized_client', 'invalid client'],
    ['client without the legacy grant', facebook(undefined, { client_id: 'no-grant' }), 403, 'unauthorized_client', grantText],
  ];

  describe.each(['json', 'form'] as const)('error table (%s body)', (encoding) => {
    it.each(errorTable)('%s', async (_name, fields, status, error, description) => {
      const response = await postToken(stack, fields, encoding);
      expect(response.status).toBe(status);
      expect(response.body).toEqual({ error, error_description: description });
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('pragma')).toBe('no-cache');
    });
  });

  it.each([
    ['text/plain', 'client_id=my-app'],
    ['application/json', '{"client_id":'],
    ['application/json', '["client_id"]'],
  ])('answers a malformed %s body with a clear 400', async (contentType, body) => {
    const response = await fetch(`${stack.url}/oauth/access_token`, { method: 'POST', headers: { 'content-type': contentType }, body });
    expect(response.status).toBe(400);
    const json = (await response.json()) as Record<string, string>;
    expect(json.error).toBe('invalid_request');
    expect(json.error_description).toMatch(/content type|JSON/);
  });

  it("names a JSON body sent with curl -d's default form Content-Type, and accepts JSON with a BOM", async () => {
    const fields = JSON.stringify({ client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice });
    const asForm = await fetch(`${stack.url}/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields,
    });
    expect(asForm.status).toBe(400);
    expect(((await asForm.json()) as Record<string, string>).error_description).toMatch(
      /^the body looks like JSON but the Content-Type is application\/x-www-form-urlencoded/,
    );

    const withBom = await fetch(`${stack.url}/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fields)]),
    });
    expect(withBom.status).toBe(200);
  });

  it('refuses a body larger than the limit', async () => {
    const response = await postToken(stack, facebook(undefined, { padding: 'x'.repeat(20_000) }));
    expect([400, 413]).toContain(response.status);
    expect(response.body.error).toBe('invalid_request');
  });

  it('converges 50 concurrent first logins on one user with one sub', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => postToken(stack, facebook(FACEBOOK_TEST_TOKENS.bobNoEmail))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const subs = new Set(responses.map((r) => JSON.parse(Buffer.from((r.body.id_token as string).split('.')[1]!, 'base64url').toString()).sub));
    expect([...subs]).toEqual([`facebook|${FACEBOOK_USERS.bob.id}`]);

    const { Items = [] } = await documentClient(stack).send(new ScanCommand({ TableName: stack.tableName }));
    const bobItems = Items.filter((item) => String(item.pk).includes(`facebook|${FACEBOOK_USERS.bob.id}`));
    expect(bobItems.map((item) => item.pk).sort()).toEqual([
      `IDENTITY#facebook|${FACEBOOK_USERS.bob.id}`,
      `USER#facebook|${FACEBOOK_USERS.bob.id}`,
    ]);
    for (const item of bobItems) expect(item.logins_count).toBe(50);
  });

  it('records a second login without touching created_at', async () => {
    const db = documentClient(stack);
    const key = { pk: `USER#facebook|${FACEBOOK_USERS.alice.id}`, sk: 'PROFILE' };
    await postToken(stack, facebook());
    const first = (await db.send(new GetCommand({ TableName: stack.tableName, Key: key }))).Item!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await postToken(stack, facebook());
    const second = (await db.send(new GetCommand({ TableName: stack.tableName, Key: key }))).Item!;
    expect(second.created_at).toBe(first.created_at);
    expect(second.logins_count).toBe((first.logins_count as number) + 1);
    expect(Date.parse(second.last_login as string)).toBeGreaterThan(Date.parse(first.last_login as string));
  });

  it('stores only the hash of the access token, with a TTL', async () => {
    const { body } = await postToken(stack, facebook());
    const { Items = [] } = await documentClient(stack).send(new ScanCommand({ TableName: stack.tableName }));
    const text = JSON.stringify(Items);
    expect(text).not.toContain(body.access_token as string);
    const tokenItems = Items.filter((item) => String(item.pk).startsWith('TOKEN#'));
    expect(tokenItems.length).toBeGreaterThan(0);
    for (const item of tokenItems) expect(item.expires_at).toBeGreaterThan(Date.now() / 1000 + 86_000);
  });

  it('gives the id_token a stable kid', async () => {
    const a = await postToken(stack, facebook());
    const b = await postToken(stack, facebook());
    expect(decodeProtectedHeader(a.body.id_token as string).kid).toBe(decodeProtectedHeader(b.body.id_token as string).kid);
  });
});
