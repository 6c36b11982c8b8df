import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inspect } from 'node:util';
import { setLogSink } from '../../functions/core/logger.js';
import { appsecretProof } from '../../functions/providers/facebook.js';
import { startKmsEndpoint } from '../../infra/local/kms/server.js';
import { FACEBOOK_APP, FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_APP, GOOGLE_TEST_TOKENS } from '../../infra/local/emulators/google.js';
import { TWITTER_APP, TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import { WEIBO_APP, WEIBO_TEST_TOKENS } from '../../infra/local/emulators/weibo.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { buildLocalTenant } from '../../infra/local/local-tenant.js';
import { postToken, startTestStack } from '../support/stack.js';
import { postOAuthToken, TOKEN_EXCHANGE } from '../support/oauth-token.js';
import { APPLE_APP } from '../../infra/local/emulators/apple.js';
import { runUsersCli } from '../../infra/local/users-cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

/**
 * Runs every success and error path with debug logging on, captures everything the
 * process writes (logger, stdout, stderr, console), and looks for any token or secret.
 * The stack reaches the shared DynamoDB Local through a fault proxy of its own, so store
 * failures can be provoked without disturbing other test files.
 */
const captured: string[] = [];
const secrets = new Set<string>();
let stack: LocalStack;
let kms: Awaited<ReturnType<typeof startKmsEndpoint>>;
let proxy: FaultProxy;
const restorers: Array<() => void> = [];

const intercept = (stream: NodeJS.WriteStream) => {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.push(String(chunk));
    return original(chunk as never, ...(rest as []));
  }) as typeof stream.write;
  restorers.push(() => (stream.write = original));
};

beforeAll(async () => {
  process.env.LOG_LEVEL = 'debug';
  const previousSink = setLogSink((line) => captured.push(line));
  restorers.push(() => setLogSink(previousSink));
  intercept(process.stdout);
  intercept(process.stderr);
  // Vitest routes console output to the main process without process.stdout.write.
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      captured.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 10 }))).join(' '));
      original.apply(console, args);
    };
    restorers.push(() => (console[method] = original));
  }
  kms = await startKmsEndpoint();
  proxy = await startFaultProxy(inject('dynamoEndpoint'));
  // The per-IP failure limit is off: this walk fails on purpose far more than 20 times a minute.
  stack = await startTestStack({
    kmsEndpoint: kms.url,
    dynamoEndpoint: proxy.url,
    providerTimeoutMs: 500,
    tenant: (endpoints) => {
      const base = buildLocalTenant(endpoints);
      return { ...base, clients: base.clients.map((client) => ({ ...client, rate_limits: { per_ip_failures_per_minute: 0 } })) };
    },
  });
  for (const value of [
    FACEBOOK_APP.client_secret,
    GOOGLE_APP.client_secret,
    TWITTER_APP.client_secret,
    WEIBO_APP.client_secret,
    ...Object.values(FACEBOOK_TEST_TOKENS),
    ...Object.values(GOOGLE_TEST_TOKENS),
    ...Object.values(TWITTER_TEST_TOKENS).flatMap((t) => [t.token, t.secret]),
    ...Object.values(WEIBO_TEST_TOKENS).map((t) => t.token),
  ]) {
    secrets.add(value);
  }
  for (const token of Object.values(FACEBOOK_TEST_TOKENS)) secrets.add(appsecretProof(token, FACEBOOK_APP.client_secret));
});

afterAll(async () => {
  delete process.env.LOG_LEVEL;
  for (const restore of restorers.reverse()) restore();
  await stack?.stop();
  await kms?.close();
  await proxy?.close();
});

const statuses: number[] = [];

const exchange = async (fields: Record<string, string>, encoding: 'json' | 'form' = 'json') => {
  const response = await postToken(stack, { client_id: 'my-app', scope: 'openid profile email', ...fields }, encoding);
  statuses.push(response.status);
  for (const key of ['access_token', 'id_token']) {
    if (typeof response.body[key] === 'string') secrets.add(response.body[key] as string);
  }
  return response;
};

/** POST /oauth/token (DESIGN sections 9-10): its tokens, nonces and codes are secrets too. */
const nativeExchange = async (fields: Record<string, string>, encoding: 'json' | 'form' = 'json') => {
  for (const key of ['subject_token', 'nonce']) if (fields[key]) secrets.add(fields[key]);
  const response = await postOAuthToken(
    stack,
    { grant_type: TOKEN_EXCHANGE, client_id: 'my-app', subject_token_type: 'urn:ietf:params:oauth:token-type:id_token', scope: 'openid profile email', ...fields },
    encoding,
  );
  statuses.push(response.status);
  for (const key of ['access_token', 'id_token']) {
    if (typeof response.body[key] === 'string') secrets.add(response.body[key] as string);
  }
  return response;
};

const providerCalls: Array<Record<string, string>> = [
  { connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice },
  { connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.otherApp },
  { connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.expired },
  { connection: 'google-oauth2', access_token: GOOGLE_TEST_TOKENS.alice },
  { connection: 'google-oauth2', access_token: GOOGLE_TEST_TOKENS.otherApp },
  { connection: 'twitter', access_token: TWITTER_TEST_TOKENS.ada.token, access_token_secret: TWITTER_TEST_TOKENS.ada.secret },
  { connection: 'twitter', access_token: TWITTER_TEST_TOKENS.otherApp.token, access_token_secret: TWITTER_TEST_TOKENS.otherApp.secret },
  { connection: 'twitter', access_token: TWITTER_TEST_TOKENS.ada.token, access_token_secret: 'a-wrong-secret-value-123' },
  { connection: 'weibo', access_token: WEIBO_TEST_TOKENS.lin.token },
  { connection: 'weibo', access_token: WEIBO_TEST_TOKENS.otherApp.token },
];

describe('no token or secret reaches any output', () => {
  it('on every path', async () => {
    secrets.add('a-wrong-secret-value-123');
    // Successes and provider rejections, in both encodings.
    for (const fields of providerCalls) {
      await exchange(fields, 'json');
      await exchange(fields, 'form');
    }
    // The error table.
    await exchange({ connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice, client_id: 'nobody' });
    await exchange({ connection: 'nope', access_token: FACEBOOK_TEST_TOKENS.alice });
    await exchange({ connection: 'twitter', access_token: TWITTER_TEST_TOKENS.ada.token });
    await exchange({ connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice, user_id: 'someone-else' });
    // Provider faults for each provider.
    for (const [name, fields] of [
      ['facebook', providerCalls[0]!],
      ['google', providerCalls[3]!],
      ['twitter', providerCalls[5]!],
      ['weibo', providerCalls[8]!],
    ] as const) {
      const emulator = stack.emulators[name];
      for (const fault of [{ kind: 'status', status: 500 }, { kind: 'garbage' }, { kind: 'hang' }, { kind: 'reset' }, { kind: 'status', status: 429 }] as const) {
        // Google's 429 opens the google-oauth2 circuit (DESIGN section 12): it comes last, below.
        if (name === 'google' && fault.status === 429) continue;
        emulator.setFault(fault);
        expect((await exchange(fields)).status).toBe(503);
      }
      emulator.setFault(null);
    }
    // KMS faults.
    for (const fault of [{ kind: 'throttling' }, { kind: 'internal' }] as const) {
      kms.setFault(fault);
      expect((await exchange(providerCalls[0]!)).status).toBe(503);
    }
    kms.setFault(null);
    // DynamoDB faults, on every call and on the writes only. Facebook, not Google: Google's 429
    // above opened the google-oauth2 circuit (DESIGN section 12), which would answer first.
    for (const [mode, only] of [['throttle', undefined], ['internal', undefined], ['throttle', ['UpdateItem']], ['internal', ['PutItem']]] as const) {
      proxy.mode = mode;
      proxy.only = only ? [...only] : undefined;
      expect((await exchange(providerCalls[0]!)).status).toBe(503);
    }
    proxy.mode = 'pass';
    proxy.only = undefined;
    // A token no provider could have issued (it cannot even be sent in a header).
    const unsendable = 'Ā-unsendable-token-789';
    secrets.add(unsendable);
    expect((await exchange({ connection: 'google-oauth2', access_token: unsendable })).status).toBe(401);
    // /userinfo with good and bad tokens.
    const { body } = await exchange(providerCalls[0]!);
    await fetch(`${stack.url}/userinfo`, { headers: { authorization: `Bearer ${body.access_token as string}` } });
    await fetch(`${stack.url}/userinfo`, { headers: { authorization: 'Bearer unknown-token-value-456' } });
    secrets.add('unknown-token-value-456');
    // Google's app-wide 429, then a request the open circuit answers.
    stack.emulators.google.setFault({ kind: 'status', status: 429 });
    expect((await exchange(providerCalls[3]!)).status).toBe(503);
    stack.emulators.google.setFault(null);
    expect((await exchange(providerCalls[3]!)).status).toBe(503);

    // Native sign-in: ID tokens of each provider, refused ones, a replay, Apple codes.
    const nonce = 'leak-test-raw-nonce-3141592653';
    for (const name of ['google', 'facebook', 'apple'] as const) {
      const issuer = stack.emulators[name].idTokens;
      const token = issuer.mint({ raw_nonce: nonce });
      expect((await nativeExchange({ subject_token: token, nonce }, 'form')).status).toBe(200);
      expect((await nativeExchange({ subject_token: token, nonce })).status).toBe(400); // replay
      expect((await nativeExchange({ subject_token: issuer.mint({ raw_nonce: nonce }), nonce: `${nonce}-wrong` })).status).toBe(400);
      expect((await nativeExchange({ subject_token: issuer.mint({ aud: 'another-app' }) })).status).toBe(400);
      expect((await nativeExchange({ subject_token: issuer.mint({}, { key: 'stranger' }) })).status).toBe(400);
    }
    const apple = stack.emulators.apple;
    const code = apple.mintCode({ sub: '001111.leaktest.0001', raw_nonce: nonce });
    const codeFields = { subject_token: code, subject_token_type: 'http://auth0.com/oauth/token-type/apple-authz-code', nonce };
    expect((await nativeExchange({ ...codeFields, user_profile: '{"name":{"firstName":"Ada"}}' })).status).toBe(200);
    expect((await nativeExchange(codeFields)).status).toBe(400); // a used code
    apple.setFault({ kind: 'status', status: 500 });
    expect((await nativeExchange({ ...codeFields, subject_token: apple.mintCode() })).status).toBe(503);
    apple.setFault(null);
    for (const refreshToken of apple.refreshTokens) secrets.add(refreshToken);
    for (const line of APPLE_APP.private_key.split('\n').slice(1, -1)) secrets.add(line);
    // Deleting the user revokes its Apple refresh token: the CLI's output must not show it.
    const target = ['--table', stack.tableName, '--endpoint', proxy.url, '--region', 'us-east-1', '--kms-endpoint', stack.kmsEndpoint];
    expect(await runUsersCli(['delete', 'apple|001111.leaktest.0001', '--yes', ...target], (line) => captured.push(line), (line) => captured.push(line))).toBe(0);
    expect(apple.revoked).toHaveLength(1);

    const output = captured.join('\n');
    expect(output.length).toBeGreaterThan(1000); // the paths above did log (audit, metrics, errors)
    const leaked = [...secrets].filter((secret) => output.includes(secret));
    expect(leaked).toEqual([]);
  }, 120_000);

  // Runs on the output of the test above.
  it('one audit event and one metrics record per exchange, with who, what, outcome and why', () => {
    const records = captured.flatMap((line) => line.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const audits = records.filter((record) => record.message === 'token_exchange').map((record) => record.audit as Record<string, unknown>);
    expect(audits.map((audit) => audit.status)).toEqual(statuses);
    for (const audit of audits) {
      expect(audit.latency_ms).toEqual(expect.any(Number));
      if (audit.outcome === 'success') {
        expect(audit).toMatchObject({ client_id: 'my-app', connection: expect.any(String), strategy: expect.any(String), user_id: expect.any(String) });
      } else {
        expect(audit).toMatchObject({ outcome: 'failure', reason: expect.stringMatching(/^[a-z_]+$/) });
      }
    }
    const emf = records.filter((record) => record._aws !== undefined && ('ExchangeSuccess' in record || 'ExchangeFailure' in record));
    expect(emf).toHaveLength(statuses.length);
    expect(records.filter((record) => record._aws !== undefined && 'ProviderLatency' in record).length).toBeGreaterThan(statuses.length);
  });
});
