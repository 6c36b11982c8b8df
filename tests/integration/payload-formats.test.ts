import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

/** The same handlers behind a REST API (payload 1.0, stage in the path) and an HTTP API (2.0). */
describe.each(['1.0', '2.0'] as const)('API Gateway payload %s', (payloadVersion) => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ payloadVersion });
  });
  afterAll(() => stack?.stop());

  const fields = { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice };

  it.each(['json', 'form'] as const)('exchanges a %s body', async (encoding) => {
    const { status, body } = await postToken(stack, fields, encoding);
    expect(status).toBe(200);
    expect(decodeJwt(body.id_token as string).iss).toBe(stack.issuer);
  });

  it('accepts a charset parameter and a base64 body of an unusual text type', async () => {
    const response = await fetch(`${stack.url}/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams(fields).toString(),
    });
    expect(response.status).toBe(200);
  });

  it('serves discovery under the stage, with the issuer the tokens carry', async () => {
    const response = await fetch(`${stack.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { issuer: string; jwks_uri: string };
    expect(document.issuer).toBe(stack.issuer);
    expect((await fetch(document.jwks_uri)).status).toBe(200);
  });

  it('answers an unknown route like API Gateway', async () => {
    const response = await fetch(`${stack.url}/oauth/no-such-route`, { method: 'POST' });
    expect(response.status).toBe(404);
  });
});
