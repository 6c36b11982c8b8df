import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createProviderHttp } from '../../functions/providers/http.js';
import { handleTokenEvent } from '../../functions/token/handle.js';
import { itemKeys } from '../../functions/store/keys.js';
import { FACEBOOK_TEST_TOKENS, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_TEST_TOKENS } from '../../infra/local/emulators/google.js';
import { TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import { WEIBO_TEST_TOKENS } from '../../infra/local/emulators/weibo.js';
import { startDynamoDbLocal, type DynamoDbLocalHandle } from '../../infra/local/dynamodb-local.js';
import { startKmsEndpoint } from '../../infra/local/kms/server.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

/**
 * Every dependency failing in every way we can provoke: the client gets a 503
 * `temporarily_unavailable` within the stated budget, never a 500 and never a token whose
 * user was not written. Budgets, for this stack's 1 s provider timeout and 1 s DynamoDB
 * attempt timeout, with room for a busy shared machine:
 * - provider faults < 2.5 s: one call, retries and body included, is cut at the 1 s timeout
 *   (the verification's own deadline, timeout + 2 s, is the backstop);
 * - KMS faults < 4.5 s: the signer's 3 s deadline;
 * - DynamoDB faults < 6 s: 3 attempts of at most 1 s plus backoff.
 * In production (5 s provider timeout) the request deadline of the token handler (13 s)
 * caps any combination below the 15 s Lambda timeout.
 */
const BUDGET_MS = { provider: 2_500, kms: 4_500, dynamo: 6_000 };

interface Observed {
  status: number;
  body: Record<string, unknown>;
  ms: number;
}

type Annotate = (message: string) => Promise<unknown>;

const timed = async (call: () => Promise<{ status: number; body: Record<string, unknown> }>): Promise<Observed> => {
  const started = Date.now();
  const { status, body } = await call();
  return { status, body, ms: Date.now() - started };
};

const exchange = (stack: LocalStack, fields: Record<string, string> = { connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice }) =>
  timed(() => postToken(stack, { client_id: 'my-app', ...fields }));

/** Asserts the 503 and records what was observed on the test (vitest annotations). */
const expectUnavailable = async (result: Observed, budget: number, annotate: Annotate) => {
  await annotate(`${result.status} ${String(result.body.error)} in ${result.ms} ms (budget ${budget} ms)`);
  expect(result.status, JSON.stringify(result.body)).toBe(503);
  expect(result.body.error).toBe('temporarily_unavailable');
  expect(result.body.error_description).toEqual(expect.any(String));
  expect(result.body).not.toHaveProperty('access_token');
  expect(result.ms).toBeLessThan(budget);
};

const PROVIDER_REQUESTS = {
  facebook: { connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice },
  google: { connection: 'google-oauth2', access_token: GOOGLE_TEST_TOKENS.alice },
  twitter: { connection: 'twitter', access_token: TWITTER_TEST_TOKENS.ada.token, access_token_secret: TWITTER_TEST_TOKENS.ada.secret },
  weibo: { connection: 'weibo', access_token: WEIBO_TEST_TOKENS.lin.token },
} as const;

describe('provider faults', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ providerTimeoutMs: 1_000 });
  });
  afterAll(() => stack?.stop());
  beforeEach(() => {
    for (const emulator of Object.values(stack.emulators)) emulator.setFault(null);
  });

  it.for([
    ['slow past the timeout', { kind: 'delay', ms: 1_500 }],
    ['hanging', { kind: 'hang' }],
    ['answering 500', { kind: 'status', status: 500 }],
    ['answering 502', { kind: 'status', status: 502 }],
    ['rate limiting with 429', { kind: 'status', status: 429, headers: { 'retry-after': '0' } }],
    ['sending malformed JSON', { kind: 'garbage' }],
    ['resetting the connection', { kind: 'reset' }],
  ] as const)('facebook %s → 503', async ([, fault], { annotate }) => {
    stack.emulators.facebook.setFault(fault as never);
    await expectUnavailable(await exchange(stack), BUDGET_MS.provider, annotate);
  });

  it.for(['google', 'twitter', 'weibo'] as const)('%s answering 503, then resetting → 503 each time', async (provider, { annotate }) => {
    for (const fault of [{ kind: 'status', status: 503 }, { kind: 'reset' }] as const) {
      stack.emulators[provider].setFault(fault);
      await expectUnavailable(await exchange(stack, PROVIDER_REQUESTS[provider]), BUDGET_MS.provider, annotate);
    }
  });

  it('weibo slow past the timeout → 503', async ({ annotate }) => {
    stack.emulators.weibo.setFault({ kind: 'delay', ms: 1_500 });
    await expectUnavailable(await exchange(stack, PROVIDER_REQUESTS.weibo), BUDGET_MS.provider, annotate);
  });

  it('recovers when a retried 500 succeeds the second time', async () => {
    stack.emulators.facebook.setFault({ kind: 'status', status: 500 }, 1);
    expect((await exchange(stack)).status).toBe(200);
  });
});

describe('provider HTTP client', () => {
  // Raw servers for what the emulators cannot do: headers sent, then the body stalls.
  let server: Server;
  let base: string;
  /** When the client closed the connection of each stalled body, in ms since the epoch. */
  const stalledClosedAt: number[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(req.url === '/slow-500' ? 500 : req.url === '/stalled-401' ? 401 : 200, { 'content-type': 'application/json' });
      if (req.url === '/stalled-401') return void res.write('{"error":');
      if (req.url === '/stalled-body') {
        req.socket.once('close', () => stalledClosedAt.push(Date.now()));
        return void res.write('{"data":');
      }
      setTimeout(() => res.end('{}'), 700);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const callTimed = async (path: string) => {
    const http = createProviderHttp({ timeoutMs: 1_000 });
    const started = Date.now();
    const error = await http
      .call({ provider: 'test', endpoint: 'x', method: 'GET', url: `${base}${path}`, idempotent: true })
      .then(() => undefined, (reason: unknown) => reason);
    return { error, ms: Date.now() - started };
  };

  it('a body that stalls after the headers → 503 at the call timeout', async ({ annotate }) => {
    const { error, ms } = await callTimed('/stalled-body');
    await annotate(`rejected in ${ms} ms`);
    expect(error).toMatchObject({ status: 503, reason: 'provider_timeout' });
    expect(ms).toBeLessThan(BUDGET_MS.provider);
  });

  it('a stalled body is cancelled at the deadline: its connection is closed, not left open', async () => {
    const before = stalledClosedAt.length;
    const { error } = await callTimed('/stalled-body');
    const answeredAt = Date.now();
    expect(error).toMatchObject({ status: 503, reason: 'provider_timeout' });
    await expect.poll(() => stalledClosedAt.length, { timeout: 2_000 }).toBe(before + 1);
    expect(stalledClosedAt.at(-1)! - answeredAt).toBeLessThan(500);
  });

  it('a 4xx whose body stalls keeps its status: the body is cut at the deadline and the adapter decides', async () => {
    const http = createProviderHttp({ timeoutMs: 1_000 });
    const started = Date.now();
    const answer = await http.call({ provider: 'test', endpoint: 'x', method: 'GET', url: `${base}/stalled-401`, idempotent: true });
    expect(answer).toEqual({ status: 401, body: undefined });
    expect(Date.now() - started).toBeLessThan(BUDGET_MS.provider);
  });

  it('slow 500s are not retried past the call timeout (a second attempt would end after 1.4 s)', async ({ annotate }) => {
    const { error, ms } = await callTimed('/slow-500');
    await annotate(`rejected in ${ms} ms`);
    expect(error).toMatchObject({ status: 503 });
    expect(ms).toBeLessThan(1_350);
  });
});

describe('KMS faults', () => {
  let stack: LocalStack;
  let kms: Awaited<ReturnType<typeof startKmsEndpoint>>;
  beforeAll(async () => {
    kms = await startKmsEndpoint();
    stack = await startTestStack({ kmsEndpoint: kms.url });
    expect((await exchange(stack)).status).toBe(200); // warm: the kid is known
  });
  afterAll(async () => {
    await stack?.stop();
    await kms?.close();
  });
  beforeEach(() => kms.setFault(null));

  it.for([
    ['ThrottlingException', { kind: 'throttling' }],
    ['KMSInternalException', { kind: 'internal' }],
    ['a hang', { kind: 'hang' }],
  ] as const)('KMS %s → 503', async ([, fault], { annotate }) => {
    kms.setFault(fault);
    await expectUnavailable(await exchange(stack), BUDGET_MS.kms, annotate);
  });

  it('a disabled key → 503, and 200 again once it is enabled', async ({ annotate }) => {
    const client = new KMSClient({ endpoint: kms.url, region: 'us-east-1' });
    await client.send(new DisableKeyCommand({ KeyId: stack.signingKeyId }));
    try {
      await expectUnavailable(await exchange(stack), BUDGET_MS.kms, annotate);
    } finally {
      await client.send(new EnableKeyCommand({ KeyId: stack.signingKeyId }));
    }
    expect((await exchange(stack)).status).toBe(200);
  });
});

describe('DynamoDB faults', () => {
  let stack: LocalStack;
  let dynamo: DynamoDbLocalHandle;
  let proxy: FaultProxy;
  let db: DynamoDBDocumentClient;
  const aliceUserId = `facebook|${FACEBOOK_USERS.alice.id}`;

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    proxy = await startFaultProxy(dynamo.endpoint);
    // The production per-attempt timeout, so a hang costs what it would cost on AWS; no
    // config cache, so every exchange meets the fault from its first read.
    stack = await startTestStack({ dynamoEndpoint: proxy.url, configCacheTtlSeconds: 0, dynamoTimeoutMs: 1_000 });
    db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1' }));
    expect((await exchange(stack)).status).toBe(200);
  });
  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await dynamo?.stop();
  });
  beforeEach(() => {
    proxy.mode = 'pass';
    proxy.only = undefined;
  });

  const tokenItems = async () => {
    const { Items = [] } = await db.send(new ScanCommand({ TableName: stack.tableName }));
    return Items.filter((item) => String(item.pk).startsWith('TOKEN#')).length;
  };
  const aliceLogins = async () => {
    const { Item } = await db.send(new GetCommand({ TableName: stack.tableName, Key: itemKeys.user(aliceUserId), ConsistentRead: true }));
    return Item?.logins_count as number;
  };

  it.for(['throttle', 'internal', 'hang'] as const)('DynamoDB %s on every call → 503, nothing written', async (mode, { annotate }) => {
    const [tokensBefore, loginsBefore] = [await tokenItems(), await aliceLogins()];
    proxy.mode = mode;
    await expectUnavailable(await exchange(stack), BUDGET_MS.dynamo, annotate);
    proxy.mode = 'pass';
    expect(await tokenItems()).toBe(tokensBefore);
    expect(await aliceLogins()).toBe(loginsBefore);
    expect((await exchange(stack)).status).toBe(200);
  });

  // The write step runs the user write, the signature and the token write in parallel: when
  // only the user write fails, the token record may land, but its token never leaves.
  it('the user write throttled while the token write succeeds → 503, no login recorded', async ({ annotate }) => {
    const loginsBefore = await aliceLogins();
    proxy.operations.length = 0;
    proxy.mode = 'throttle';
    proxy.only = ['UpdateItem'];
    await expectUnavailable(await exchange(stack), BUDGET_MS.dynamo, annotate);
    expect(proxy.operations).toContain('PutItem');
    proxy.mode = 'pass';
    expect(await aliceLogins()).toBe(loginsBefore);
  });

  it('the token write throttled while the user write succeeds → 503, no token issued', async ({ annotate }) => {
    const tokensBefore = await tokenItems();
    proxy.mode = 'throttle';
    proxy.only = ['PutItem'];
    await expectUnavailable(await exchange(stack), BUDGET_MS.dynamo, annotate);
    proxy.mode = 'pass';
    expect(await tokenItems()).toBe(tokensBefore);
  });

  it('the handler answers 503 at its request deadline even while DynamoDB still hangs', async ({ annotate }) => {
    proxy.mode = 'hang';
    const event = {
      version: '2.0',
      routeKey: 'POST /oauth/access_token',
      rawPath: '/oauth/access_token',
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method: 'POST', path: '/oauth/access_token' }, domainName: '127.0.0.1', stage: '$default' },
      body: JSON.stringify({ client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice }),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const result = await timed(async () => {
      const response = await handleTokenEvent(event, { exchange: stack.runtime!.exchange, issuer: stack.issuer, deadlineMs: 1_500 });
      return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
    });
    await expectUnavailable(result, 2_500, annotate);
    expect(result.ms).toBeGreaterThanOrEqual(1_450);
  });

  it('DynamoDB Local stopped (connections reset) → 503, then refused → 503', async ({ annotate }) => {
    await dynamo.stop();
    await expectUnavailable(await exchange(stack), BUDGET_MS.dynamo, annotate);
    await proxy.close();
    await expectUnavailable(await exchange(stack), BUDGET_MS.dynamo, annotate);
  });
});
