import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { hashAccessToken } from '../../functions/core/exchange.js';
import { GOOGLE_TEST_TOKENS, GOOGLE_USERS } from '../../infra/local/emulators/google.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

let stack: LocalStack;
let db: DynamoDBDocumentClient;
beforeAll(async () => {
  stack = await startTestStack();
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1' }));
});
afterAll(() => stack?.stop());

const accessToken = async (scope: string, token: string = GOOGLE_TEST_TOKENS.alice) => {
  const { status, body } = await postToken(stack, { client_id: 'my-app', connection: 'google-oauth2', access_token: token, scope });
  expect(status).toBe(200);
  return body.access_token as string;
};

const userinfo = (init: RequestInit = {}) => fetch(`${stack.url}/userinfo`, init);
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const sub = `google-oauth2|${GOOGLE_USERS.alice.sub}`;

describe('/userinfo', () => {
  it.each([
    ['openid', { sub }],
    ['openid email', { sub, email: GOOGLE_USERS.alice.email, email_verified: true }],
    ['openid profile', { sub, name: GOOGLE_USERS.alice.name, given_name: 'Alice', family_name: 'Liddell', picture: GOOGLE_USERS.alice.picture, locale: 'en', updated_at: expect.any(Number) }],
    ['profile', { sub, name: GOOGLE_USERS.alice.name, given_name: 'Alice', family_name: 'Liddell', picture: GOOGLE_USERS.alice.picture, locale: 'en', updated_at: expect.any(Number) }],
    ['openid nickname email', { sub, email: GOOGLE_USERS.alice.email, email_verified: true }],
  ])('gives the claims scope "%s" allows', async (scope, expected) => {
    const response = await userinfo(bearer(await accessToken(scope)));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual(expected);
  });

  it('answers POST with the header or with a form body (RFC 6750 2.2)', async () => {
    const token = await accessToken('openid email');
    const withHeader = await userinfo({ method: 'POST', ...bearer(token) });
    expect(withHeader.status).toBe(200);
    const withBody = await userinfo({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: token }).toString(),
    });
    expect(withBody.status).toBe(200);
    expect(((await withBody.json()) as { sub: string }).sub).toBe(sub);
  });

  it('refuses a token sent two ways at once', async () => {
    const token = await accessToken('openid');
    const response = await userinfo({
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: token }).toString(),
    });
    expect(response.status).toBe(400);
  });

  const expectInvalidToken = async (response: Response) => {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"(, error_description="[^"]*")?$/);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  };

  it('refuses a missing token', async () => {
    await expectInvalidToken(await userinfo());
    await expectInvalidToken(await userinfo({ method: 'POST' }));
  });

  it('refuses an unknown or malformed token', async () => {
    await expectInvalidToken(await userinfo(bearer('not-a-token-we-issued')));
    await expectInvalidToken(await userinfo({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
  });

  it('refuses an expired token even before DynamoDB TTL removes it', async () => {
    const token = 'expired-token-for-the-test-000000000000000';
    await db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: { pk: `TOKEN#${hashAccessToken(token)}`, sk: 'TOKEN', user_id: sub, client_id: 'my-app', scope: 'openid', expires_at: Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    await expectInvalidToken(await userinfo(bearer(token)));
  });

  it('refuses the token of a user that no longer exists', async () => {
    const token = await accessToken('openid', GOOGLE_TEST_TOKENS.carolAndroid);
    expect((await userinfo(bearer(token))).status).toBe(200);
    await db.send(new DeleteCommand({ TableName: stack.tableName, Key: { pk: `USER#google-oauth2|${GOOGLE_USERS.carol.sub}`, sk: 'PROFILE' } }));
    await expectInvalidToken(await userinfo(bearer(token)));
  });
});
