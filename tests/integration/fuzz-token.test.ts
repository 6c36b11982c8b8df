import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { handleTokenEvent } from '../../functions/token/handle.js';
import { parseTenant, parseTenantJson, TenantFileError } from '../../functions/core/tenant.js';
import { decodeJwt } from 'jose';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_TEST_TOKENS } from '../../infra/local/emulators/google.js';
import { TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import { WEIBO_TEST_TOKENS } from '../../infra/local/emulators/weibo.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { buildLocalTenant } from '../../infra/local/local-tenant.js';
import { startTestStack } from '../support/stack.js';

/**
 * Property: whatever arrives, the token handler answers a success or a well-formed OAuth
 * error from the contract's table — never a 500, an exception or a hang. Generated events go
 * straight to the real handler and the real runtime (DynamoDB Local, KMS endpoint, emulators).
 */
const SEED = 20261128;
const ALLOWED = new Map<number, string[]>([
  [200, []],
  [400, ['invalid_request']],
  [401, ['invalid_request']],
  [403, ['unauthorized_client']],
  [413, ['invalid_request']],
]);

let stack: LocalStack;
beforeAll(async () => {
  // Every dependency is up and the provider timeout is generous, so a 503 here is a bug (a
  // request value the code mistakes for an outage), not a slow shared machine.
  // Thousands of junk requests from one address: the per-IP failure limit (DESIGN section 12,
  // tested in tests/integration/edge/limits.test.ts) would soon answer them all 429 and hide
  // the paths behind it, so it is off here.
  stack = await startTestStack({
    providerTimeoutMs: 10_000,
    tenant: (endpoints) => {
      const base = buildLocalTenant(endpoints);
      return { ...base, clients: base.clients.map((client) => ({ ...client, rate_limits: { per_ip_failures_per_minute: 0 } })) };
    },
  });
});
afterAll(() => stack?.stop());

const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', ' ', '\u0000', '\r\n', 'my-app', 'facebook', 'twitter', FACEBOOK_TEST_TOKENS.alice),
  fc.string({ minLength: 5000, maxLength: 20000 }),
);
const value = fc.oneof(
  hostile,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostile, { maxLength: 3 }),
  fc.dictionary(hostile, hostile, { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 4 }),
);
const parameterName = fc.oneof(
  fc.constantFrom('client_id', 'access_token', 'connection', 'scope', 'access_token_secret', 'user_id', '__proto__', 'constructor'),
  fc.string({ maxLength: 20 }),
);
const fields = fc.dictionary(parameterName, value, { maxKeys: 8 });

const body = fc.oneof(
  fields.map((f) => ({ contentType: 'application/json', text: JSON.stringify(f) })),
  fields.map((f) => ({
    contentType: 'application/x-www-form-urlencoded',
    text: Object.entries(f)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
      .join('&'),
  })),
  fc.record({
    contentType: fc.oneof(
      fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/X-WWW-FORM-URLENCODED', 'text/plain', 'multipart/form-data; boundary=x', ''),
      fc.string({ maxLength: 40 }),
    ),
    text: fc.oneof(fc.string({ maxLength: 2000 }), fc.constantFrom('{', '[]', 'null', '1e999', '{"client_id":{"__proto__":{"x":1}}}', '%%%', 'a=%ZZ&b')),
  }),
);

const event = fc.record({
  version: fc.constantFrom('1.0', '2.0'),
  base64: fc.boolean(),
  body: fc.option(body, { nil: undefined }),
  headerCase: fc.constantFrom('content-type', 'Content-Type', 'CONTENT-TYPE'),
});

type GeneratedEvent = typeof event extends fc.Arbitrary<infer T> ? T : never;

const toEvent = (input: GeneratedEvent): APIGatewayProxyEvent | APIGatewayProxyEventV2 => {
  const text = input.body?.text;
  const encoded = text === undefined ? undefined : input.base64 ? Buffer.from(text, 'utf8').toString('base64') : text;
  const headers: Record<string, string> = input.body?.contentType !== undefined ? { [input.headerCase]: input.body.contentType } : {};
  if (input.version === '2.0') {
    return {
      version: '2.0',
      routeKey: 'POST /oauth/access_token',
      rawPath: '/oauth/access_token',
      rawQueryString: '',
      headers,
      requestContext: { http: { method: 'POST', path: '/oauth/access_token', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' }, domainName: '127.0.0.1', stage: '$default' },
      ...(encoded !== undefined ? { body: encoded } : {}),
      isBase64Encoded: input.base64,
    } as unknown as APIGatewayProxyEventV2;
  }
  return {
    httpMethod: 'POST',
    path: '/oauth/access_token',
    headers,
    body: encoded ?? null,
    isBase64Encoded: input.base64,
    requestContext: { domainName: '127.0.0.1', stage: 'prod' },
  } as unknown as APIGatewayProxyEvent;
};

/** Sends one generated event through the real handler and checks the contract; returns the status. */
const exchangeChecked = async (input: GeneratedEvent): Promise<number> => {
  const result = await handleTokenEvent(toEvent(input), { exchange: stack.runtime!.exchange, issuer: stack.issuer });
  const allowed = ALLOWED.get(result.statusCode);
  expect(allowed, `status ${result.statusCode}: ${result.body}`).toBeDefined();
  expect(result.headers['Content-Type']).toBe('application/json');
  expect(result.headers['Cache-Control']).toBe('no-store');
  const json = JSON.parse(result.body) as Record<string, unknown>;
  if (result.statusCode === 200) {
    expect(json.token_type).toBe('Bearer');
    expect(json.access_token).toEqual(expect.any(String));
    if (json.id_token !== undefined) expect(decodeJwt(json.id_token as string).aud).toBe('my-app');
  } else {
    expect(allowed).toContain(json.error);
    expect(typeof json.error_description).toBe('string');
    expect(json.error_description).not.toMatch(/\n\s+at |node_modules|Error:/);
  }
  return result.statusCode;
};

// A hang fails the run instead of stalling the suite (the handler's own deadline is 13 s).
const RUN_TIMEOUT_MS = 15_000;

describe('fuzzing the token handler', () => {
  it('answers every generated request with a success or a contract error', async () => {
    await fc.assert(
      fc.asyncProperty(event, async (input) => {
        await exchangeChecked(input);
      }),
      { seed: SEED, numRuns: 400, timeout: RUN_TIMEOUT_MS },
    );
  }, 90_000);

  // Random bodies rarely get past the parser; these are well-formed requests whose values
  // are partly real (a client, a connection, a live provider token) and partly hostile, so
  // the tenant lookup, every provider adapter, the store and the signer see them too.
  const text = fc.oneof(
    fc.string({ maxLength: 64 }),
    fc.string({ unit: 'grapheme', maxLength: 64 }),
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.constantFrom('__proto__', 'constructor', '\u0000', '\r\nx-injected: 1', ' ', '%00', '../', 'a'.repeat(8192)),
  );
  /** Mostly the usual value, sometimes a real but wrong one, sometimes a hostile one. */
  const mostly = (usual: string, ...unusual: string[]) =>
    fc.oneof(
      { arbitrary: fc.constant(usual), weight: 6 },
      { arbitrary: fc.constantFrom(usual, ...unusual), weight: 1 },
      { arbitrary: text, weight: 1 },
    );
  // Values that belong together (a Twitter token with its secret and user id) are drawn
  // together, so a good share of the requests is valid and goes all the way to the writes.
  const realValues: Record<string, { tokens: string[]; userIds: string[] }> = {
    facebook: { tokens: [FACEBOOK_TEST_TOKENS.alice, FACEBOOK_TEST_TOKENS.otherApp], userIds: ['10'] },
    'google-oauth2': { tokens: [GOOGLE_TEST_TOKENS.alice, GOOGLE_TEST_TOKENS.expired], userIds: ['10'] },
    twitter: { tokens: [TWITTER_TEST_TOKENS.ada.token, TWITTER_TEST_TOKENS.otherApp.token], userIds: [TWITTER_TEST_TOKENS.ada.userId, '10'] },
    weibo: { tokens: [WEIBO_TEST_TOKENS.lin.token, WEIBO_TEST_TOKENS.otherApp.token], userIds: [WEIBO_TEST_TOKENS.lin.uid, '10'] },
  };
  const wellFormed = fc.constantFrom(...Object.keys(realValues)).chain((connection) =>
    fc.record(
      {
        client_id: mostly('my-app', 'app-without-legacy-grant', 'nobody'),
        connection: mostly(connection, 'no-such-connection'),
        access_token: mostly(...(realValues[connection]!.tokens as [string, ...string[]])),
        scope: mostly('openid profile email', 'openid', 'profile', 'openid name email nickname picture', ''),
        access_token_secret: mostly(TWITTER_TEST_TOKENS.ada.secret, TWITTER_TEST_TOKENS.otherApp.secret),
        user_id: mostly(...(realValues[connection]!.userIds as [string, ...string[]])),
      },
      { requiredKeys: ['client_id', 'connection', 'access_token'] },
    ),
  );
  const deepEvent = fc.record({
    version: fc.constantFrom('1.0', '2.0'),
    base64: fc.boolean(),
    headerCase: fc.constantFrom('content-type', 'Content-Type'),
    form: fc.boolean(),
    extra: fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.string({ maxLength: 10 })), value, { maxKeys: 2 }),
    fields: wellFormed,
  });

  it('answers well-formed requests with hostile values with a success or a contract error', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(deepEvent, async ({ extra, fields, form, ...input }) => {
        const all = { ...extra, ...fields };
        const body = form
          ? {
              contentType: 'application/x-www-form-urlencoded',
              text: Object.entries(all)
                .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
                .join('&'),
            }
          : { contentType: 'application/json', text: JSON.stringify(all) };
        seen.add(await exchangeChecked({ ...input, body }));
      }),
      { seed: SEED, numRuns: 250, timeout: RUN_TIMEOUT_MS },
    );
    // The generator reaches every layer: parser, tenant checks, providers, successful writes.
    expect([...seen].sort()).toEqual(expect.arrayContaining([200, 400, 401, 403]));
  }, 90_000);
});

describe('fuzzing the tenant loader', () => {
  const tenantish = fc.oneof(
    fc.jsonValue({ maxDepth: 5 }),
    fc.record({
      clients: fc.oneof(fc.array(fc.dictionary(parameterName, value, { maxKeys: 6 }), { maxLength: 3 }), value),
      connections: fc.oneof(
        fc.array(
          fc.record({
            name: value,
            strategy: fc.oneof(fc.constantFrom('facebook', 'google-oauth2', 'twitter', 'weibo', 'myspace'), value),
            options: fc.oneof(fc.dictionary(fc.constantFrom('client_id', 'client_secret', 'endpoints', 'allowed_audiences', '__proto__'), value), value),
          }),
          { maxLength: 3 },
        ),
        value,
      ),
    }),
  );

  it('only ever throws TenantFileError', () => {
    fc.assert(
      fc.property(tenantish, (input) => {
        try {
          parseTenant(input);
        } catch (error) {
          expect(error).toBeInstanceOf(TenantFileError);
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('only ever throws TenantFileError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        try {
          parseTenantJson(text);
        } catch (error) {
          expect(error).toBeInstanceOf(TenantFileError);
        }
      }),
      { seed: SEED, numRuns: 2000 },
    );
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
