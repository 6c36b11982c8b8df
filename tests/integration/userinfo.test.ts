import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { hashAccessToken } from '../../functions/core/exchange.js';
import { itemKeys } from '../../functions/store/keys.js';
import { FACEBOOK_TEST_TOKENS, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_TEST_TOKENS, GOOGLE_USERS } from '../../infra/local/emulators/google.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

let stack: LocalStack;
let db: DynamoDBDocumentClient;
beforeAll(async () => {
  stack = await startTestStack();
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1' }));
});
afterAll(async () => {
  db?.destroy();
  await stack?.stop();
});

const accessToken = async (scope: string, connection = 'google-oauth2', token: string = GOOGLE_TEST_TOKENS.alice) => {
  const { status, body } = await postToken(stack, { client_id: 'my-app', connection, access_token: token, scope });
  expect(status).toBe(200);
  return body.access_token as string;
};

const userinfo = (init: RequestInit = {}) => fetch(`${stack.url}/userinfo`, init);
const bearer = (token: string, method = 'GET'): RequestInit => ({ method, headers: { authorization: `Bearer ${token}` } });
const formBody = (token: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ access_token: token }).toString(),
});

const alice = GOOGLE_USERS.alice;
const sub = `google-oauth2|${alice.sub}`;
const profile = {
  name: alice.name,
  given_name: alice.given_name,
  family_name: alice.family_name,
  picture: alice.picture,
  locale: alice.locale,
  updated_at: expect.any(Number),
};
const email = { email: alice.email, email_verified: true };

/** RFC 6750 section 3: `Bearer error="…", error_description="…"`, printable ASCII without `"` or `\` inside quotes. */
const CHALLENGE = /^Bearer error="(invalid_token|invalid_request)", error_description="[\x20\x21\x23-\x5b\x5d-\x7e]*"$/;

const expectRefused = async (response: Response, status = 401, error = 'invalid_token') => {
  expect(response.status).toBe(status);
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(CHALLENGE);
  expect(challenge).toContain(`error="${error}"`);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(await response.json()).toEqual({ error, error_description: expect.any(String) });
};

describe('/userinfo gives the claims the token scope allows', () => {
  it.each([
    ['openid', { sub }],
    ['openid profile', { sub, ...profile }],
    ['openid email', { sub, ...email }],
    ['openid profile email', { sub, ...profile, ...email }],
    ['openid name email', { sub, name: alice.name, ...email }],
    ['openid nickname', { sub }],
  ])('scope "%s"', async (scope, expected) => {
    const response = await userinfo(bearer(await accessToken(scope)));

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual(expected);
  });

  it('says an unverified Facebook email is unverified', async () => {
    const token = await accessToken('openid email', 'facebook', FACEBOOK_TEST_TOKENS.alice);

    const response = await userinfo(bearer(token));

    expect(await response.json()).toEqual({
      sub: `facebook|${FACEBOOK_USERS.alice.id}`,
      email: FACEBOOK_USERS.alice.email,
      email_verified: false,
    });
  });
});

describe('/userinfo takes the token as RFC 6750 says', () => {
  it('answers GET and POST with the Authorization header, and POST with a form body (section 2.2)', async () => {
    const token = await accessToken('openid email');

    const answers = await Promise.all([userinfo(bearer(token)), userinfo(bearer(token, 'POST')), userinfo(formBody(token))]);

    for (const response of answers) {
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub, ...email });
    }
  });

  it('takes the scheme name in any case', async () => {
    const token = await accessToken('openid');

    const response = await userinfo({ headers: { authorization: `bearer ${token}` } });

    expect(response.status).toBe(200);
  });

  it('refuses a token sent two ways at once with 400 invalid_request', async () => {
    const token = await accessToken('openid');
    const both = formBody(token);
    both.headers = { ...(both.headers as Record<string, string>), authorization: `Bearer ${token}` };

    await expectRefused(await userinfo(both), 400, 'invalid_request');
  });
});

/** RFC 6750 section 3.1: a request without credentials gets the scheme only, no error code. */
const expectBareChallenge = async (response: Response) => {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer');
  expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'missing bearer access token' });
};

describe('/userinfo without credentials answers 401 with a bare Bearer challenge', () => {
  it.each(['GET', 'POST'])('no token at all (%s)', async (method) => {
    await expectBareChallenge(await userinfo({ method }));
  });

  it.each(['Basic dXNlcjpwYXNz', 'Negotiate abc'])('an unsupported scheme: %s', async (authorization) => {
    await expectBareChallenge(await userinfo({ headers: { authorization } }));
  });

  it('a form body without access_token', async () => {
    await expectBareChallenge(
      await userinfo({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'scope=openid' }),
    );
  });
});

describe('/userinfo refuses with 401 and WWW-Authenticate: Bearer error="invalid_token"', () => {
  it.each([
    ['an unknown token', 'Bearer not-a-token-we-issued'],
    ['a scheme without a token', 'Bearer'],
    ['a token with a space in it', 'Bearer two words'],
  ])('%s', async (_case, authorization) => {
    await expectRefused(await userinfo({ headers: { authorization } }));
  });

  it('an expired token, even before DynamoDB TTL deletes its item', async () => {
    const token = await accessToken('openid');
    expect((await userinfo(bearer(token))).status).toBe(200);
    const key = itemKeys.token(hashAccessToken(token));

    await db.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: key,
        UpdateExpression: 'SET expires_at = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );

    await expectRefused(await userinfo(bearer(token)));
    await expectRefused(await userinfo(formBody(token)));
    expect((await db.send(new GetCommand({ TableName: stack.tableName, Key: key }))).Item).toBeDefined();
  });

  it('the token of a user that was deleted', async () => {
    const token = await accessToken('openid', 'google-oauth2', GOOGLE_TEST_TOKENS.carolAndroid);
    expect((await userinfo(bearer(token))).status).toBe(200);

    await db.send(
      new DeleteCommand({ TableName: stack.tableName, Key: itemKeys.user(`google-oauth2|${GOOGLE_USERS.carol.sub}`) }),
    );

    await expectRefused(await userinfo(bearer(token)));
    await expectRefused(await userinfo(bearer(token, 'POST')));
  });
});
