import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { startDynamoDbLocal, type DynamoDbLocalHandle } from '../../infra/local/dynamodb-local.js';
import { startKmsEndpoint } from '../../infra/local/kms/server.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

/**
 * Every dependency failing in every way we can provoke: the client gets a 503
 * `temporarily_unavailable` within the stated budget, never a 500 and never a token whose
 * user was not written. Budgets (provider timeout 1 s in this stack): provider faults < 3 s,
 * KMS faults < 4.5 s (its 3 s deadline), DynamoDB faults < 6 s (3 attempts of 1 s, plus backoff).
 */
const BUDGET_MS = { provider: 3_000, kms: 4_500, dynamo: 6_000 };

const exchange = async (stack: LocalStack) => {
  const started = Date.now();
  const response = await postToken(stack, { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice });
  return { ...response, ms: Date.now() - started };
};

const expectUnavailable = (result: Awaited<ReturnType<typeof exchange>>, budget: number) => {
  expect(result.status, JSON.stringify(result.body)).toBe(503);
  expect(result.body.error).toBe('temporarily_unavailable');
  expect(result.body.error_description).toEqual(expect.any(String));
  expect(result.ms).toBeLessThan(budget);
};

describe('provider faults', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack({ providerTimeoutMs: 1_000 });
  });
  afterAll(() => stack?.stop());
  beforeEach(() => stack.emulators.facebook.setFault(null));

  it.each([
    ['slow past the timeout', { kind: 'delay', ms: 1_500 }],
    ['hanging', { kind: 'hang' }],
    ['answering 500', { kind: 'status', status: 500 }],
    ['answering 502', { kind: 'status', status: 502 }],
    ['rate limiting with 429', { kind: 'status', status: 429, headers: { 'retry-after': '0' } }],
    ['sending malformed JSON', { kind: 'garbage' }],
    ['resetting the connection', { kind: 'reset' }],
  ] as const)('provider %s → 503', async (_name, fault) => {
    stack.emulators.facebook.setFault(fault as never);
    expectUnavailable(await exchange(stack), BUDGET_MS.provider);
  });

  it('recovers when a retried 500 succeeds the second time', async () => {
    stack.emulators.facebook.setFault({ kind: 'status', status: 500 }, 1);
    expect((await exchange(stack)).status).toBe(200);
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

  it.each([
    ['ThrottlingException', { kind: 'throttling' }],
    ['KMSInternalException', { kind: 'internal' }],
    ['a hang', { kind: 'hang' }],
  ] as const)('KMS %s → 503', async (_name, fault) => {
    kms.setFault(fault);
    expectUnavailable(await exchange(stack), BUDGET_MS.kms);
  });

  it('a disabled key → 503', async () => {
    const client = new KMSClient({ endpoint: kms.url, region: 'us-east-1' });
    await client.send(new DisableKeyCommand({ KeyId: stack.signingKeyId }));
    try {
      expectUnavailable(await exchange(stack), BUDGET_MS.kms);
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
  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    proxy = await startFaultProxy(dynamo.endpoint);
    // The production per-attempt timeout, so a hang costs what it would cost on AWS.
    stack = await startTestStack({ dynamoEndpoint: proxy.url, configCacheTtlSeconds: 0, dynamoTimeoutMs: 1_000 });
  });
  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    await dynamo?.stop();
  });
  beforeEach(() => {
    proxy.mode = 'pass';
  });

  const tokenItems = async () => {
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1' }));
    const { Items = [] } = await db.send(new ScanCommand({ TableName: stack.tableName }));
    return Items.filter((item) => String(item.pk).startsWith('TOKEN#')).length;
  };

  it.each(['throttle', 'internal', 'hang'] as const)('DynamoDB %s → 503, and no token is issued', async (mode) => {
    const tokensBefore = await tokenItems();
    proxy.mode = mode;
    expectUnavailable(await exchange(stack), BUDGET_MS.dynamo);
    proxy.mode = 'pass';
    // Writes that raced the failure may have landed, but no token reached the client.
    expect(await tokenItems()).toBeGreaterThanOrEqual(tokensBefore);
    expect((await exchange(stack)).status).toBe(200);
  });

  it('DynamoDB unreachable → 503', async () => {
    await proxy.close();
    expectUnavailable(await exchange(stack), BUDGET_MS.dynamo);
  });
});
