import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

/** What any standard verifier does knowing only the issuer URL. */
const verifyFromIssuer = async (issuer: string, idToken: string, audience = 'my-app') => {
  const discovery = (await (await fetch(`${issuer}.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  expect(discovery.issuer).toBe(issuer);
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri as string));
  return jwtVerify(idToken, jwks, { issuer, audience });
};

const login = async (stack: LocalStack) => {
  const { status, body } = await postToken(stack, {
    client_id: 'my-app',
    connection: 'facebook',
    access_token: FACEBOOK_TEST_TOKENS.alice,
  });
  expect(status).toBe(200);
  return body.id_token as string;
};

describe.each(['RS256', 'ES256'] as const)('an %s id_token verified from the issuer alone', (alg) => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ signingAlg: alg });
  });
  afterAll(() => stack?.stop());

  it('verifies through discovery → jwks_uri → createRemoteJWKSet → jwtVerify', async () => {
    const { payload, protectedHeader } = await verifyFromIssuer(stack.issuer, await login(stack));
    expect(protectedHeader.alg).toBe(alg);
    expect(payload.sub).toMatch(/^facebook\|/);
  });

  it('publishes a discovery document for the configured issuer', async () => {
    const response = await fetch(`${stack.issuer}.well-known/openid-configuration`);
    expect(response.headers.get('cache-control')).toMatch(/public, max-age=\d+/);
    expect(await response.json()).toMatchObject({
      issuer: stack.issuer,
      jwks_uri: `${stack.issuer}.well-known/jwks.json`,
      token_endpoint: `${stack.issuer}oauth/access_token`,
      userinfo_endpoint: `${stack.issuer}userinfo`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [alg],
      scopes_supported: expect.arrayContaining(['openid', 'profile', 'email']),
      claims_supported: expect.arrayContaining(['sub', 'email', 'email_verified']),
      response_types_supported: expect.any(Array),
    });
  });

  it('publishes the key as a JWK with kid, alg and use', async () => {
    const response = await fetch(`${stack.issuer}.well-known/jwks.json`);
    expect(response.headers.get('cache-control')).toMatch(/public, max-age=\d+/);
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject(
      alg === 'RS256'
        ? { kty: 'RSA', alg, use: 'sig', kid: expect.any(String), n: expect.any(String), e: 'AQAB' }
        : { kty: 'EC', alg, use: 'sig', kid: expect.any(String), crv: 'P-256', x: expect.any(String), y: expect.any(String) },
    );
    expect(keys[0]!.d).toBeUndefined();
  });
});

describe('signing-key rotation without downtime', () => {
  const tableName = `rotation-${randomUUID()}`;
  const stacks: LocalStack[] = [];
  afterAll(async () => {
    for (const stack of stacks) await stack.stop();
  });

  const createKey = async (kmsEndpoint: string, spec: 'RSA_2048' | 'ECC_NIST_P256') => {
    const kms = new KMSClient({ endpoint: kmsEndpoint, region: 'us-east-1' });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }));
    return KeyMetadata!.KeyId!;
  };

  it.each([
    ['RS256 → RS256', 'RSA_2048', 'RS256'],
    ['RS256 → ES256', 'ECC_NIST_P256', 'ES256'],
  ] as const)('%s: old tokens verify while the old key is published, fail once it is removed', async (_name, spec, newAlg) => {
    // Each phase is a redeploy: the previous stack stops and the next one serves the same
    // issuer URL (same port) from the same table, with a new key configuration.
    let port = 0;
    const start = async (options: Parameters<typeof startTestStack>[0]) => {
      await stacks.pop()?.stop();
      const stack = await startTestStack({ tableName, port, ...options });
      port = Number(new URL(stack.url).port);
      stacks.push(stack);
      return stack;
    };
    // 1. Before: the old key signs.
    const before = await start({ signingAlg: 'RS256' });
    const oldToken = await login(before);
    const oldKeyId = before.signingKeyId;
    const newKeyId = await createKey(before.kmsEndpoint, spec);

    // 2. Published but not yet signing: the new key is retired-listed, nothing changes for tokens.
    const publishing = await start({ signingKeyId: oldKeyId, signingAlg: 'RS256', retiredKeyIds: [newKeyId] });
    const jwksDuring = (await (await fetch(`${publishing.issuer}.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwksDuring.keys).toHaveLength(2);

    // 3. Activated: new tokens carry the new kid; old tokens still verify.
    const active = await start({ signingKeyId: newKeyId, signingAlg: newAlg, retiredKeyIds: [oldKeyId] });
    const newToken = await login(active);
    const oldKid = decodeProtectedHeader(oldToken).kid;
    const newKid = decodeProtectedHeader(newToken).kid;
    expect(newKid).not.toBe(oldKid);
    expect(decodeProtectedHeader(newToken).alg).toBe(newAlg);
    await expect(verifyFromIssuer(active.issuer, oldToken)).resolves.toBeDefined();
    await expect(verifyFromIssuer(active.issuer, newToken)).resolves.toBeDefined();
    const discovery = (await (await fetch(`${active.issuer}.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(new Set(discovery.id_token_signing_alg_values_supported)).toEqual(new Set(['RS256', newAlg]));

    // 4. Removed: the old key is gone from the JWKS and its tokens no longer verify.
    const after = await start({ signingKeyId: newKeyId, signingAlg: newAlg });
    await expect(verifyFromIssuer(after.issuer, oldToken)).rejects.toThrow();
    await expect(verifyFromIssuer(after.issuer, newToken)).resolves.toBeDefined();
    const jwksAfter = (await (await fetch(`${after.issuer}.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwksAfter.keys.map((key) => key.kid)).toEqual([newKid]);
  });
});
