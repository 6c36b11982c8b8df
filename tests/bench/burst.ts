import { generatedFacebookUser, type FacebookTokenGrant } from '../../infra/local/emulators/facebook.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { exchange } from './services.js';
import { quantile, round } from './stats.js';

/**
 * Bursts of first logins against the stack `npm start` runs: every function in Lambda-like
 * containers (one request at a time each), so a burst is served by as many containers as
 * it needs, started cold. N concurrent first logins of one identity, then of N identities,
 * on a fresh stack; then both again on the containers the first bursts left warm.
 */
export interface BurstFigures {
  label: string;
  requests: number;
  /** Statuses seen (and network errors), with their counts. */
  statuses: Record<string, number>;
  /** Distinct token-function containers that served the burst, and how many of them started cold. */
  containers: number;
  coldStarts: number;
  p50Ms: number;
  p99Ms: number;
  wallMs: number;
}

/** Tokens `fb-burst-<set>-<i>`: per set, fresh identities nobody logged in with yet. */
const burstTokens = (sets: number, size: number): Record<string, FacebookTokenGrant> => {
  const tokens: Record<string, FacebookTokenGrant> = {};
  for (let set = 0; set < sets; set += 1) {
    for (let i = 0; i < size; i += 1) tokens[`fb-burst-${set}-${i}`] = generatedFacebookUser(40_000_000_000_000_000n + BigInt(set * 10_000 + i), `Burst ${set}/${i}`);
  }
  return tokens;
};

interface Report {
  type?: string;
  functionName?: string;
  logStreamName?: string;
  record?: { metrics?: { initDurationMs?: number } };
}

export const measureBursts = async (
  endpoints: { dynamoEndpoint: string; kmsEndpoint: string },
  options: { size: number; concurrency?: number },
): Promise<BurstFigures[]> => {
  let reports: Report[] = [];
  const stack: LocalStack = await startLocalStack({
    port: 0,
    emulatorPorts: 'free',
    ...endpoints,
    tableName: `bench-burst-${Date.now()}`,
    entryPoints: 'lambda',
    facebookTokens: burstTokens(4, options.size),
    ...(options.concurrency ? { functionConcurrency: options.concurrency } : {}),
    functionLog: (line) => {
      if (line.includes('"platform.report"')) reports.push(JSON.parse(line) as Report);
    },
  });
  try {
    const burst = async (label: string, tokens: string[]): Promise<BurstFigures> => {
      reports = [];
      const started = performance.now();
      const outcomes = await Promise.all(
        tokens.map((access_token) => exchange(stack.url, { client_id: 'my-app', connection: 'facebook', access_token })),
      );
      const wallMs = performance.now() - started;
      const statuses: Record<string, number> = {};
      for (const { status } of outcomes) statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      const token = reports.filter((report) => report.functionName === 'local-token');
      const latencies = outcomes.map((outcome) => outcome.ms);
      return {
        label,
        requests: tokens.length,
        statuses,
        containers: new Set(token.map((report) => report.logStreamName)).size,
        coldStarts: token.filter((report) => report.record?.metrics?.initDurationMs !== undefined).length,
        p50Ms: round(quantile(latencies, 0.5), 1),
        p99Ms: round(quantile(latencies, 0.99), 1),
        wallMs: round(wallMs, 0),
      };
    };
    const n = options.size;
    const one = (set: number) => Array.from({ length: n }, () => `fb-burst-${set}-0`);
    const many = (set: number) => Array.from({ length: n }, (_, i) => `fb-burst-${set}-${i}`);
    return [
      await burst(`${n} first logins of one identity (fresh stack)`, one(0)),
      await burst(`${n} first logins of ${n} identities`, many(1)),
      await burst(`${n} first logins of one identity (warm containers)`, one(2)),
      await burst(`${n} first logins of ${n} identities (warm containers)`, many(3)),
    ];
  } finally {
    await stack.stop();
  }
};
