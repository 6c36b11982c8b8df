import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { GOOGLE_TEST_TOKENS } from '../../infra/local/emulators/google.js';
import type { LocalStack, LocalStackOptions } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

/** What any standard relying party does knowing only the issuer URL. */
const verifyFromIssuer = async (issuer: string, idToken: string) => {
  const discovery = (await (await fetch(`${issuer}.well-known/openid-configuration`)).json()) as {
    jwks_uri: string;
    id_token_signing_alg_values_supported: string[];
  };
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  return jwtVerify(idToken, jwks, {
    issuer,
    audience: 'my-app',
    algorithms: discovery.id_token_signing_alg_values_supported,
  });
};

const login = async (stack: LocalStack) => {
  const { status, body } = await postToken(stack, {
    client_id: 'my-app',
    connection: 'google-oauth2',
    access_token: GOOGLE_TEST_TOKENS.alice,
    scope: 'openid email',
  });
  expect(status).toBe(200);
  return { idToken: body.id_token as string, accessToken: body.access_token as string };
};

const jwksOf = async (stack: LocalStack) =>
  (await (await fetch(`${stack.issuer}.well-known/jwks.json`)).json()) as JSONWebKeySet;

const algsOf = async (stack: LocalStack) =>
  ((await (await fetch(`${stack.issuer}.well-known/openid-configuration`)).json()) as { id_token_signing_alg_values_supported: string[] })
    .id_token_signing_alg_values_supported;

const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;

const createKey = async (kmsEndpoint: string, spec: 'RSA_2048' | 'ECC_NIST_P256') => {
  const kms = new KMSClient({ endpoint: kmsEndpoint, region: 'us-east-1' });
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }));
  kms.destroy();
  return KeyMetadata!.KeyId!;
};

/**
 * Each step of docs/key-rotation.md is a redeploy: the running stack stops and the next one
 * serves the same issuer URL (same port) from the same table and KMS, with the step's key
 * configuration (signingKeyId = SIGNING_KEY_ID, retiredKeyIds = RETIRED_KEY_IDS).
 */
const deployments = () => {
  const tableName = `rotation-${randomUUID()}`;
  let running: LocalStack | undefined;
  let port = 0;
  return {
    async deploy(options: LocalStackOptions): Promise<LocalStack> {
      await running?.stop();
      running = undefined;
      running = await startTestStack({ tableName, port, ...options });
      port = Number(new URL(running.url).port);
      return running;
    },
    stop: () => running?.stop(),
  };
};

describe('signing-key rotation without downtime', () => {
  const stages: Array<ReturnType<typeof deployments>> = [];
  afterAll(async () => {
    for (const stage of stages) await stage.stop();
  });

  it.each([
    { from: 'RS256', to: 'RS256', spec: 'RSA_2048' },
    { from: 'RS256', to: 'ES256', spec: 'ECC_NIST_P256' },
  ] as const)('$from → $to: old tokens verify until the old key is removed; new tokens carry the new kid', async ({ from, to, spec }) => {
    const stage = deployments();
    stages.push(stage);

    // 0. Before: the stack's own key signs.
    const before = await stage.deploy({ signingAlg: from });
    const oldKeyId = before.signingKeyId;
    const old = await login(before);
    const oldKid = kidOf(old.idToken);
    expect((await jwksOf(before)).keys.map((key) => key.kid)).toEqual([oldKid]);

    // 1. Create the new key. 2. Publish it as retired: listed, but nothing is signed with it.
    const newKeyId = await createKey(before.kmsEndpoint, spec);
    const publishing = await stage.deploy({ signingKeyId: oldKeyId, signingAlg: from, retiredKeyIds: [newKeyId] });
    const published = await jwksOf(publishing);
    expect(published.keys).toHaveLength(2);
    expect(published.keys[0]!.kid).toBe(oldKid);
    const newKid = published.keys[1]!.kid;
    expect(published.keys[1]!.alg).toBe(to);
    expect(new Set(await algsOf(publishing))).toEqual(new Set([from, to]));
    expect(kidOf((await login(publishing)).idToken)).toBe(oldKid);

    // 3. Activate: SIGNING_KEY_ID = new, RETIRED_KEY_IDS = old.
    const active = await stage.deploy({ signingKeyId: newKeyId, signingAlg: to, retiredKeyIds: [oldKeyId] });
    const fresh = await login(active);
    expect(decodeProtectedHeader(fresh.idToken)).toMatchObject({ alg: to, kid: newKid });
    expect(newKid).not.toBe(oldKid);
    expect((await jwksOf(active)).keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    expect(new Set(await algsOf(active))).toEqual(new Set([from, to]));
    await expect(verifyFromIssuer(active.issuer, old.idToken)).resolves.toMatchObject({ protectedHeader: { kid: oldKid } });
    await expect(verifyFromIssuer(active.issuer, fresh.idToken)).resolves.toMatchObject({ protectedHeader: { kid: newKid } });
    // A relying party whose JWKS copy dates from step 2 never refetched, yet verifies new tokens.
    await expect(jwtVerify(fresh.idToken, createLocalJWKSet(published), { issuer: active.issuer, audience: 'my-app' })).resolves.toBeDefined();

    // 4. After the longest id_token lifetime: the old key leaves RETIRED_KEY_IDS.
    const after = await stage.deploy({ signingKeyId: newKeyId, signingAlg: to });
    expect((await jwksOf(after)).keys.map((key) => key.kid)).toEqual([newKid]);
    expect(await algsOf(after)).toEqual([to]);
    // After a change of algorithm the discovery document already refuses the old one.
    await expect(verifyFromIssuer(after.issuer, old.idToken)).rejects.toMatchObject({
      code: from === to ? 'ERR_JWKS_NO_MATCHING_KEY' : 'ERR_JOSE_ALG_NOT_ALLOWED',
    });
    const publishedKeys = createRemoteJWKSet(new URL(`${after.issuer}.well-known/jwks.json`));
    await expect(jwtVerify(old.idToken, publishedKeys, { issuer: after.issuer, audience: 'my-app' })).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    await expect(verifyFromIssuer(after.issuer, fresh.idToken)).resolves.toBeDefined();
    expect(kidOf((await login(after)).idToken)).toBe(newKid);
    // Access tokens are opaque and unsigned: rotation does not touch them.
    const userinfo = await fetch(`${after.url}/userinfo`, { headers: { authorization: `Bearer ${old.accessToken}` } });
    expect(userinfo.status).toBe(200);
  });
});
