import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LEGACY_ACCESS_TOKEN_GRANT } from '../../../functions/core/errors.js';
import { KMSClient } from '@aws-sdk/client-kms';
import { applyTenant } from '../../../functions/store/tenant-admin.js';
import { createKmsSecretSealer } from '../../../functions/store/kms-secrets.js';
import type { Tenant } from '../../../functions/core/tenant.js';
import { FACEBOOK_TEST_TOKENS } from '../../../infra/local/emulators/facebook.js';
import { buildLocalTenant, type EmulatorEndpoints } from '../../../infra/local/local-tenant.js';
import type { LocalStack } from '../../../infra/local/stack.js';
import { startTestStack } from '../../support/stack.js';

const APP = 'https://app.example.com';
const CAPACITOR = 'capacitor://localhost';
const OTHER_CLIENTS_ORIGIN = 'https://shop.example.com';
const FOREIGN = 'https://evil.example.net';

/** The local tenant, with origins for my-app and a second browser client of its own. */
const tenantFor = (endpoints: EmulatorEndpoints, appOrigins: string[] = [APP, CAPACITOR]): Tenant => {
  const base = buildLocalTenant(endpoints);
  return {
    ...base,
    clients: [
      ...base.clients.map((client) => (client.client_id === 'my-app' ? { ...client, allowed_origins: appOrigins } : client)),
      { client_id: 'shop', grant_types: [LEGACY_ACCESS_TOKEN_GRANT], connections: ['facebook'], id_token_lifetime: 36000, link_by_verified_email: false, allowed_origins: [OTHER_CLIENTS_ORIGIN] },
    ],
  };
};

let stack: LocalStack;
let endpoints: EmulatorEndpoints;
beforeAll(async () => {
  // No config cache: the re-apply test sees its change at once.
  stack = await startTestStack({
    configCacheTtlSeconds: 0,
    tenant: (found) => {
      endpoints = found;
      return tenantFor(found);
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const preflight = (path: string, origin: string | undefined, method = 'POST') =>
  fetch(`${stack.url}${path}`, {
    method: 'OPTIONS',
    headers: {
      ...(origin ? { origin } : {}),
      'access-control-request-method': method,
      'access-control-request-headers': 'content-type, authorization',
    },
  });

const exchange = (fields: Record<string, string>, origin?: string) =>
  fetch(`${stack.url}/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
    body: JSON.stringify(fields),
  });

const signIn = { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice, scope: 'openid' };

describe('preflights', () => {
  it.each([
    ['/oauth/access_token', 'POST', 'POST, OPTIONS'],
    ['/oauth/token', 'POST', 'POST, OPTIONS'],
    ['/oauth/revoke', 'POST', 'POST, OPTIONS'],
    ['/userinfo', 'GET', 'GET, POST, OPTIONS'],
  ])('%s: an origin some client allows gets 204 with the allow headers', async (path, method, methods) => {
    for (const origin of [APP, CAPACITOR, OTHER_CLIENTS_ORIGIN]) {
      const response = await preflight(path, origin, method);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-methods')).toBe(methods);
      expect(response.headers.get('access-control-allow-headers')).toBe('Content-Type, Authorization');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('vary')).toBe('Origin');
      expect(await response.text()).toBe('');
    }
  });

  it.each(['/oauth/access_token', '/oauth/token', '/oauth/revoke', '/userinfo'])('%s: a foreign origin, or none, gets no allow headers', async (path) => {
    for (const origin of [FOREIGN, 'null', `${APP}/`, 'https://APP.example.com', undefined]) {
      const response = await preflight(path, origin);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toBeNull();
    }
  });

  it('follows the tenant file when it is applied again', async () => {
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1' }));
    const kms = new KMSClient({ endpoint: stack.kmsEndpoint, region: 'us-east-1' });
    const secrets = createKmsSecretSealer({ kms, keyId: stack.secretsKeyId });
    try {
      await applyTenant({ client: db, tableName: stack.tableName, tenant: tenantFor(endpoints, [APP]), secrets });
      expect((await preflight('/oauth/access_token', CAPACITOR)).headers.get('access-control-allow-origin')).toBeNull();
      expect((await preflight('/oauth/access_token', APP)).headers.get('access-control-allow-origin')).toBe(APP);
      await applyTenant({ client: db, tableName: stack.tableName, tenant: tenantFor(endpoints), secrets });
      expect((await preflight('/oauth/access_token', CAPACITOR)).headers.get('access-control-allow-origin')).toBe(CAPACITOR);
    } finally {
      db.destroy();
      kms.destroy();
    }
  });
});

describe('actual responses carry the header only for the origins of the request\'s client', () => {
  it('a sign-in from an allowed origin', async () => {
    const response = await exchange(signIn, APP);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(response.headers.get('vary')).toBe('Origin');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('an origin allowed for another client only, a foreign one, or none: no header', async () => {
    for (const origin of [OTHER_CLIENTS_ORIGIN, FOREIGN, undefined]) {
      const response = await exchange(signIn, origin);
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    const shop = await exchange({ ...signIn, client_id: 'shop' }, OTHER_CLIENTS_ORIGIN);
    expect(shop.status).toBe(200);
    expect(shop.headers.get('access-control-allow-origin')).toBe(OTHER_CLIENTS_ORIGIN);
  });

  it('errors once the client is known carry it, so the page can read them', async () => {
    const refused = await exchange({ ...signIn, access_token: FACEBOOK_TEST_TOKENS.unknown }, CAPACITOR);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(CAPACITOR);
    const disabled = await exchange({ ...signIn, connection: 'no-such-connection' }, APP);
    expect(disabled.status).toBe(400);
    expect(disabled.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('POST /oauth/token and /oauth/revoke answer with the header for their client\'s origins only', async () => {
    const post = (path: string, fields: Record<string, string>, origin: string) =>
      fetch(`${stack.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(fields) });
    const tokenExchange = {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: 'my-app',
      connection: 'facebook',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token: FACEBOOK_TEST_TOKENS.alice,
    };
    const allowed = await post('/oauth/token', tokenExchange, APP);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect((await post('/oauth/token', tokenExchange, OTHER_CLIENTS_ORIGIN)).headers.get('access-control-allow-origin')).toBeNull();
    const revoked = await post('/oauth/revoke', { client_id: 'my-app', token: 'no-such-refresh-token' }, CAPACITOR);
    expect(revoked.status).toBe(200);
    expect(revoked.headers.get('access-control-allow-origin')).toBe(CAPACITOR);
    expect((await post('/oauth/revoke', { client_id: 'my-app', token: 'x' }, FOREIGN)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('errors before the client is known carry none', async () => {
    const cases: Array<Record<string, string>> = [
      { connection: 'facebook', access_token: 'x' },
      { ...signIn, client_id: 'no-such-client' },
    ];
    for (const fields of cases) {
      const response = await exchange(fields, APP);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    const malformed = await fetch(`${stack.url}/oauth/access_token`, { method: 'POST', headers: { 'content-type': 'application/json', origin: APP }, body: '{' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('/userinfo answers the origins of the access token\'s client', async () => {
    const { access_token: token } = (await (await exchange(signIn)).json()) as { access_token: string };
    const userinfo = (origin?: string, bearer = token) =>
      fetch(`${stack.url}/userinfo`, { headers: { authorization: `Bearer ${bearer}`, ...(origin ? { origin } : {}) } });
    const allowed = await userinfo(APP);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    for (const origin of [OTHER_CLIENTS_ORIGIN, FOREIGN, undefined]) {
      expect((await userinfo(origin)).headers.get('access-control-allow-origin')).toBeNull();
    }
    // An unknown token names no client.
    const unknown = await userinfo(APP, 'bm90LWEtdG9rZW4');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('discovery and the JWKS are readable from any origin', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/jwks.json']) {
      for (const origin of [FOREIGN, undefined]) {
        const response = await fetch(`${stack.url}${path}`, { headers: origin ? { origin } : {} });
        expect(response.status).toBe(200);
        expect(response.headers.get('access-control-allow-origin')).toBe('*');
      }
    }
  });
});
