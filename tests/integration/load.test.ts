import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FACEBOOK_APP, FACEBOOK_USERS, type FacebookTokenGrant } from '../../infra/local/emulators/facebook.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

/**
 * Concurrency and sustained load through the local stack (loopback only, bounded in count
 * and time): no duplicate users, no lost updates, no errors, no runaway memory.
 */
const DISTINCT_USERS = 100;
const distinctTokens: Record<string, FacebookTokenGrant> = Object.fromEntries(
  Array.from({ length: DISTINCT_USERS }, (_, i) => {
    const id = String(20_000_000_000_000_000n + BigInt(i));
    return [
      `fb-load-user-${i}`,
      {
        app: FACEBOOK_APP,
        profile: { ...FACEBOOK_USERS.bob, id, name: `Load User ${i}`, email: undefined },
        type: 'USER',
        expiresIn: 3_600,
        state: 'active',
        scopes: ['public_profile'],
      } satisfies FacebookTokenGrant,
    ];
  }),
);

let stack: LocalStack;
let db: DynamoDBDocumentClient;
beforeAll(async () => {
  // A generous provider timeout: here the stack, the emulators and 100 clients share one
  // event loop, which a Lambda container (one request at a time) never does.
  stack = await startTestStack({ facebookTokens: distinctTokens, providerTimeoutMs: 10_000 });
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1' }));
});
afterAll(() => stack?.stop());

const login = (token: string) => postToken(stack, { client_id: 'my-app', connection: 'facebook', access_token: token });

const items = async (prefix: string) => {
  const all: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: stack.tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
    all.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return all.filter((item) => String(item.pk).startsWith(prefix));
};

describe('concurrency', () => {
  it('100 concurrent first logins of one identity: one user, every login counted', async () => {
    const responses = await Promise.all(Array.from({ length: 100 }, () => login('fb-load-user-0')));
    const ok = responses.filter((r) => r.status === 200);
    expect(responses.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(new Set(ok.map((r) => decodeJwt(r.body.id_token as string).sub)).size).toBe(1);
    const [user] = (await items('USER#')).filter((item) => item.user_id === `facebook|${distinctTokens['fb-load-user-0']!.profile.id}`);
    expect(user?.logins_count).toBe(ok.length);
  });

  it('100 concurrent first logins of distinct identities: 100 users, no duplicates', async () => {
    const responses = await Promise.all(Array.from({ length: DISTINCT_USERS }, (_, i) => login(`fb-load-user-${i}`)));
    expect(responses.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
    const subs = responses.map((r) => decodeJwt(r.body.id_token as string).sub);
    expect(new Set(subs).size).toBe(DISTINCT_USERS);
    const users = await items('USER#');
    const identities = await items('IDENTITY#');
    expect(new Set(users.map((u) => u.pk)).size).toBe(users.length);
    expect(users.filter((u) => String(u.pk).startsWith('USER#facebook|2000'))).toHaveLength(DISTINCT_USERS);
    expect(identities.filter((i) => String(i.pk).startsWith('IDENTITY#facebook|2000'))).toHaveLength(DISTINCT_USERS);
    // Login counts add up: user 0 had 100 logins before, the others 1.
    const counts = users.filter((u) => String(u.pk).startsWith('USER#facebook|2000')).map((u) => u.logins_count as number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100 + DISTINCT_USERS);
  });
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
        const response = await login(`fb-load-user-${i % DISTINCT_USERS}`);
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
