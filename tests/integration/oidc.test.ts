import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { GOOGLE_TEST_TOKENS, GOOGLE_USERS } from '../../infra/local/emulators/google.js';
import { startKmsEndpoint, type KmsEndpointHandle } from '../../infra/local/kms/server.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

interface Discovery {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  id_token_signing_alg_values_supported: string[];
  [name: string]: unknown;
}

const discover = async (issuer: string) => {
  const response = await fetch(`${issuer}.well-known/openid-configuration`);
  return { response, document: (await response.json()) as Discovery };
};

/** What any standard relying party does knowing only the issuer URL. */
const verifyFromIssuer = async (issuer: string, idToken: string) => {
  const { document } = await discover(issuer);
  const jwks = createRemoteJWKSet(new URL(document.jwks_uri));
  return jwtVerify(idToken, jwks, {
    issuer: document.issuer,
    audience: 'my-app',
    algorithms: document.id_token_signing_alg_values_supported,
  });
};

const login = async (stack: LocalStack, scope = 'openid') => {
  const { status, body } = await postToken(stack, {
    client_id: 'my-app',
    connection: 'google-oauth2',
    access_token: GOOGLE_TEST_TOKENS.alice,
    scope,
  });
  expect(status).toBe(200);
  return { idToken: body.id_token as string, accessToken: body.access_token as string };
};

const fetchJwks = async (stack: LocalStack) => {
  const response = await fetch(`${stack.issuer}.well-known/jwks.json`);
  return { response, keys: ((await response.json()) as { keys: JWK[] }).keys };
};

describe.each(['RS256', 'ES256'] as const)('an %s id_token', (alg) => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ signingAlg: alg });
  });
  afterAll(() => stack?.stop());

  it('verifies with jose from the issuer alone: discovery → jwks_uri → createRemoteJWKSet → jwtVerify', async () => {
    const { idToken } = await login(stack, 'openid email');

    const { payload, protectedHeader } = await verifyFromIssuer(stack.issuer, idToken);

    expect(protectedHeader).toMatchObject({ alg, typ: 'JWT', kid: expect.any(String) });
    expect(payload).toMatchObject({
      iss: stack.issuer,
      aud: 'my-app',
      sub: `google-oauth2|${GOOGLE_USERS.alice.sub}`,
      email: GOOGLE_USERS.alice.email,
    });
  });

  it('is refused by a relying party that expects another audience or issuer', async () => {
    const { idToken } = await login(stack);
    const jwks = createRemoteJWKSet(new URL(`${stack.issuer}.well-known/jwks.json`));

    await expect(jwtVerify(idToken, jwks, { issuer: stack.issuer, audience: 'other-app' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    });
    await expect(jwtVerify(idToken, jwks, { issuer: stack.issuer.slice(0, -1), audience: 'my-app' })).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'iss',
    });
  });

  it('publishes a discovery document whose endpoints are the real ones', async () => {
    const { response, document } = await discover(stack.issuer);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(document).toMatchObject({
      issuer: stack.issuer,
      jwks_uri: `${stack.issuer}.well-known/jwks.json`,
      token_endpoint: `${stack.issuer}oauth/access_token`,
      userinfo_endpoint: `${stack.issuer}userinfo`,
      response_types_supported: expect.any(Array),
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [alg],
      scopes_supported: expect.arrayContaining(['openid', 'profile', 'email']),
      claims_supported: expect.arrayContaining(['sub', 'iss', 'aud', 'exp', 'iat', 'name', 'email', 'email_verified']),
    });

    const { accessToken } = await login(stack);
    const userinfo = await fetch(document.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(userinfo.status).toBe(200);
    const exchange = await fetch(document.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await exchange.json()).toEqual({ error: 'invalid_request', error_description: 'missing client_id parameter' });
  });

  it('publishes the key as a public JWK whose kid is its RFC 7638 thumbprint', async () => {
    const { idToken } = await login(stack);

    const { response, keys } = await fetchJwks(stack);

    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(keys).toHaveLength(1);
    const [key] = keys as [JWK];
    expect(key).toEqual(
      alg === 'RS256'
        ? { kty: 'RSA', kid: expect.any(String), alg, use: 'sig', n: expect.any(String), e: 'AQAB' }
        : { kty: 'EC', kid: expect.any(String), alg, use: 'sig', crv: 'P-256', x: expect.any(String), y: expect.any(String) },
    );
    expect(key.kid).toBe(await calculateJwkThumbprint(key, 'sha256'));
    expect(decodeProtectedHeader(idToken).kid).toBe(key.kid);
  });
});

describe('published keys are read from KMS once per container', () => {
  let kms: KmsEndpointHandle;
  let stack: LocalStack;
  beforeAll(async () => {
    kms = await startKmsEndpoint();
    stack = await startTestStack({ kmsEndpoint: kms.url });
  });
  afterAll(async () => {
    await stack?.stop();
    await kms?.close();
  });

  const getPublicKeyCalls = () => kms.calls.filter((call) => call.operation === 'GetPublicKey').length;

  it('keeps serving both documents from memory while KMS is throttling', async () => {
    const first = await fetchJwks(stack);
    expect(first.response.status).toBe(200);
    const calls = getPublicKeyCalls();

    kms.setFault({ kind: 'throttling' });
    try {
      const again = await fetchJwks(stack);
      const { response, document } = await discover(stack.issuer);

      expect(again.keys).toEqual(first.keys);
      expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      expect(document.id_token_signing_alg_values_supported).toEqual(['RS256']);
      expect(getPublicKeyCalls()).toBe(calls);
    } finally {
      kms.setFault(null);
    }
  });

  it('answers 503 for the JWKS of a cold container while KMS is down, and a discovery document nobody caches', async () => {
    const cold = await startTestStack({ kmsEndpoint: kms.url, signingKeyId: stack.signingKeyId });
    kms.setFault({ kind: 'internal' });
    try {
      const jwks = await fetch(`${cold.issuer}.well-known/jwks.json`);
      const { response, document } = await discover(cold.issuer);

      expect(jwks.status).toBe(503);
      expect(jwks.headers.get('cache-control')).toBe('no-store');
      expect(await jwks.json()).toMatchObject({ error: 'temporarily_unavailable' });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(document.id_token_signing_alg_values_supported).toEqual(['RS256']);
    } finally {
      kms.setFault(null);
      await cold.stop();
    }
  });
});
