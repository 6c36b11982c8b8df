import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generatedFacebookUser, type FacebookTokenGrant } from '../../infra/local/emulators/facebook.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { buildLocalTenant, type EmulatorEndpoints } from '../../infra/local/local-tenant.js';
import { postToken, startTestStack } from '../support/stack.js';

/**
 * Concurrency and sustained load through the local stack (loopback only, bounded in count
 * and time): no duplicate users, no lost updates, no errors, no runaway memory.
 *
 * The bursts run against the stack `npm start` runs ('lambda' entry points): every function
 * in Lambda-like containers, one request at a time each, with npm start's timeouts. The
 * sustained load runs against an inline stack, whose heap this process can watch.
 */
const ROUNDS = 10;
const BURST = 100;
const MALFORMED = 300;

/** Per round: one identity for the same-identity burst and BURST fresh ones; never seen before the round. */
const burstToken = (round: number, i: number | 'shared') => `fb-burst-${round}-${i}`;
const burstTokens: Record<string, FacebookTokenGrant> = {};
for (let round = 0; round < ROUNDS; round += 1) {
  const base = 30_000_000_000_000_000n + BigInt(round * 1_000);
  burstTokens[burstToken(round, 'shared')] = generatedFacebookUser(base + 999n, `Burst ${round} shared`);
  for (let i = 0; i < BURST; i += 1) burstTokens[burstToken(round, i)] = generatedFacebookUser(base + BigInt(i), `Burst ${round} user ${i}`);
}

const DISTINCT_USERS = 100;
const distinctTokens: Record<string, FacebookTokenGrant> = Object.fromEntries(
  Array.from({ length: DISTINCT_USERS }, (_, i) => [
    `fb-load-user-${i}`,
    generatedFacebookUser(20_000_000_000_000_000n + BigInt(i), `Load User ${i}`),
  ]),
);

/**
 * Every request here comes from 127.0.0.1, and the malformed ones include junk tokens: with the
 * per-IP failure limit on (DESIGN section 12), that IP would rightly be refused with 429. This
 * test is about capacity, not limits (tests/integration/edge/limits.test.ts covers those).
 */
const withoutIpLimit = (endpoints: EmulatorEndpoints) => {
  const base = buildLocalTenant(endpoints);
  return { ...base, clients: base.clients.map((client) => ({ ...client, rate_limits: { per_ip_failures_per_minute: 0 } })) };
};

let lambdaStack: LocalStack;
let stack: LocalStack;
let db: DynamoDBDocumentClient;
const functionLines: string[] = [];
beforeAll(async () => {
  // The containers inherit this process's environment: no audit lines for 5000 requests
  // (the platform report lines, written by the emulation, remain).
  process.env.LOG_LEVEL = 'silent';
  [lambdaStack, stack] = await Promise.all([
    // npm start's settings: provider and DynamoDB timeouts 5 s, 100 containers per function.
    startTestStack({
      entryPoints: 'lambda',
      tenant: withoutIpLimit,
      facebookTokens: burstTokens,
      providerTimeoutMs: 5_000,
      functionLog: (line) => functionLines.push(line),
    }),
    // A generous provider timeout: here the stack, the emulators and 16 clients share one
    // event loop, which a Lambda container (one request at a time) never does.
    startTestStack({ facebookTokens: distinctTokens, providerTimeoutMs: 10_000 }),
  ]);
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1' }));
});
afterAll(() => Promise.all([lambdaStack?.stop(), stack?.stop()]));

const login = (on: LocalStack, token: string) => postToken(on, { client_id: 'my-app', connection: 'facebook', access_token: token });

const items = async (on: LocalStack, prefix: string) => {
  const all: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: on.tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
    all.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return all.filter((item) => String(item.pk).startsWith(prefix));
};

/** Requests a client may send by mistake; each must be a 4xx, never a 5xx. */
const MALFORMED_REQUESTS: Array<{ contentType: string; body: string }> = [
  { contentType: 'application/json', body: '{"client_id":"my-app",' },
  { contentType: 'application/json', body: JSON.stringify({ client_id: 'my-app', access_token: 'x' }) },
  { contentType: 'application/json', body: JSON.stringify({ client_id: 'no-such-app', connection: 'facebook', access_token: 'x' }) },
  { contentType: 'application/json', body: JSON.stringify({ client_id: 'my-app', connection: 'facebook', access_token: '' }) },
  { contentType: 'text/plain', body: 'client_id=my-app' },
  { contentType: 'application/json', body: JSON.stringify({ client_id: 'my-app', connection: 'facebook', access_token: 'not-a-token' }) },
];

const sendMalformed = async (on: LocalStack, count: number, clients: number): Promise<number[]> => {
  const statuses: number[] = [];
  let next = 0;
  const client = async () => {
    while (next < count) {
      const request = MALFORMED_REQUESTS[next++ % MALFORMED_REQUESTS.length]!;
      const response = await fetch(`${on.url}/oauth/access_token`, { method: 'POST', headers: { 'content-type': request.contentType }, body: request.body });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return statuses;
};

const subOf = (call: { body: Record<string, unknown> }) => decodeJwt(call.body.id_token as string).sub;

describe('bursts of first logins (npm start: Lambda-like containers)', () => {
  it(`${ROUNDS} rounds of ${MALFORMED} malformed requests, then ${BURST} concurrent first logins of one identity and of ${BURST} identities: all 200, one sub each`, async ({ annotate }) => {
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round += 1) {
      const malformed = await sendMalformed(lambdaStack, MALFORMED, 25);
      expect(malformed.filter((status) => status < 400 || status >= 500 || status === 429)).toEqual([]);

      const same = await Promise.all(Array.from({ length: BURST }, () => login(lambdaStack, burstToken(round, 'shared'))));
      expect(same.filter((r) => r.status !== 200).map((r) => [round, r.status, r.body])).toEqual([]);
      expect(new Set(same.map(subOf)).size).toBe(1);

      const distinct = await Promise.all(Array.from({ length: BURST }, (_, i) => login(lambdaStack, burstToken(round, i))));
      expect(distinct.filter((r) => r.status !== 200).map((r) => [round, r.status, r.body])).toEqual([]);
      const subs = distinct.map(subOf);
      expect(new Set(subs).size).toBe(BURST);
      expect(subs).not.toContain(subOf(same[0]!));
    }
    // Every login was counted once on its user, whichever container served it.
    const users = (await items(lambdaStack, 'USER#facebook|3000')).map((user) => user.logins_count as number);
    expect(users).toHaveLength(ROUNDS * (BURST + 1));
    expect(users.reduce((a, b) => a + b, 0)).toBe(ROUNDS * 2 * BURST);

    const [token] = lambdaStack.functionStats().filter((stats) => stats.functionName === 'local-token');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    await annotate(`${ROUNDS} rounds in ${seconds} s; token function: ${token!.peakContainers} containers at most, ${token!.coldStarts} cold starts, ${token!.invocations} invocations`);
    // The bursts were served by many containers (one request at a time each), none throttled.
    expect(token!.peakContainers).toBeGreaterThan(1);
    expect(token!.peakContainers).toBeLessThanOrEqual(100);
    expect(token!.throttles).toBe(0);
    expect(functionLines.filter((line) => line.includes('"type":"platform.report"') && !line.includes('"status":"success"'))).toEqual([]);
  }, 240_000);
});

// A full collection before each sample, so the heap figures measure what is retained.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('sustained load', () => {
  it('2000 exchanges at concurrency 16: zero errors, memory stable', async ({ annotate }) => {
    const TOTAL = 2_000;
    const CONCURRENCY = 16;
    let next = 0;
    let errorsSeen = 0;
    const heap: number[] = [];
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const response = await login(stack, `fb-load-user-${i % DISTINCT_USERS}`);
        if (response.status !== 200) errorsSeen += 1;
        if (i % 500 === 499) {
          collectGarbage();
          heap.push(process.memoryUsage().heapUsed);
        }
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (Date.now() - started) / 1000;
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    await annotate(`${TOTAL} exchanges in ${seconds.toFixed(1)} s; heap after GC ${heap.map(mb).join(' → ')} MB`);
    expect(errorsSeen).toBe(0);
    expect(seconds).toBeLessThan(60);
    // Everything (stack, emulators, clients) runs in this process: a leak per exchange would
    // grow the heap with every batch; allow noise, not growth proportional to the work.
    const [first, , , last] = heap;
    expect(last! - first!).toBeLessThan(64 * 1024 * 1024);
  }, 90_000);
});
