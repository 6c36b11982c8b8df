import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startApiGateway, type ApiGatewayHandle } from '../../infra/local/api-gateway.js';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

/**
 * Lambda's concurrency model in the local API emulation: a function is a pool of containers
 * (worker threads, each its own instance of the bundled module), one request at a time per
 * container, a cold start when all are busy, a throttle at the concurrency limit.
 */
const PROBE = { entry: 'tests/fixtures/container-probe-handler.ts' };

interface ProbeAnswer {
  containerId: string;
  invocations: number;
  logStreamName: string;
  functionName: string;
  probe: string | null;
}

interface PlatformReport {
  type: string;
  functionName: string;
  logStreamName?: string;
  record: { requestId: string; status: string; metrics: { durationMs: number; initDurationMs?: number } };
}

const reportsIn = (lines: string[]): PlatformReport[] =>
  lines.filter((line) => line.includes('"platform.report"')).map((line) => JSON.parse(line) as PlatformReport);

describe('containers (a probe function)', () => {
  let api: ApiGatewayHandle;
  const lines: string[] = [];
  const notes: string[] = [];
  beforeAll(async () => {
    api = await startApiGateway({
      routes: [
        { method: 'GET', path: '/probe', module: PROBE, timeoutMs: 3_000 },
        { method: 'POST', path: '/probe', module: PROBE, timeoutMs: 3_000 },
        { method: 'GET', path: '/limited', module: PROBE, functionName: 'limited', timeoutMs: 3_000 },
        { method: 'GET', path: '/broken', module: { ...PROBE, export: 'noSuchExport' } },
      ],
      functions: { concurrency: 2, environment: () => ({ PROBE_VALUE: 'from the function configuration' }), log: (line) => lines.push(line) },
      log: (line) => notes.push(line),
    });
  });
  afterAll(() => api?.close());

  const call = async (path: string, method = 'GET') => {
    const response = await fetch(`${api.url}${path}`, { method });
    const text = await response.text();
    return { status: response.status, text, body: response.status === 200 ? (JSON.parse(text) as ProbeAnswer) : undefined };
  };

  it('serves two concurrent requests from two containers, both cold, then reuses one warm container with its state', async () => {
    const [first, second] = await Promise.all([call('/probe?sleep=400'), call('/probe?sleep=400')]);
    expect([first!.status, second!.status]).toEqual([200, 200]);
    expect(first!.body!.containerId).not.toBe(second!.body!.containerId);
    expect(first!.body!.logStreamName).not.toBe(second!.body!.logStreamName);
    const cold = reportsIn(lines);
    expect(cold).toHaveLength(2);
    expect(cold.every((report) => report.record.metrics.initDurationMs! > 0)).toBe(true);
    expect(new Set(cold.map((report) => report.logStreamName))).toEqual(new Set([first!.body!.logStreamName, second!.body!.logStreamName]));

    // Sequential requests: one warm container (most recently used first), module state intact.
    lines.length = 0;
    const third = await call('/probe');
    const fourth = await call('/probe', 'POST');
    expect([first!.body!.containerId, second!.body!.containerId]).toContain(third.body!.containerId);
    expect(fourth.body!.containerId).toBe(third.body!.containerId);
    expect(fourth.body!.invocations).toBe(third.body!.invocations + 1);
    expect(third.body!.invocations).toBe(2);
    const warm = reportsIn(lines);
    expect(warm).toHaveLength(2);
    expect(warm.every((report) => report.record.metrics.initDurationMs === undefined)).toBe(true);
    expect(api.functionStats().find((stats) => stats.functionName.endsWith('container-probe-handler'))).toMatchObject({
      containers: 2,
      peakContainers: 2,
      coldStarts: 2,
      invocations: 4,
      throttles: 0,
    });
  });

  it('gives each container the function environment and the Lambda variables', async () => {
    const { body } = await call('/limited');
    expect(body!.probe).toBe('from the function configuration');
    expect(body!.functionName).toBe('limited');
  });

  it('throttles past the concurrency limit with a 429, and serves again once a container is free', async () => {
    notes.length = 0;
    const answers = await Promise.all([call('/limited?sleep=600'), call('/limited?sleep=600'), call('/limited?sleep=600')]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 429]);
    expect(JSON.parse(answers.find((answer) => answer.status === 429)!.text)).toEqual({ message: 'Too Many Requests' });
    expect(notes.join('\n')).toMatch(/throttled.*concurrency limit 2/);
    expect((await call('/limited')).status).toBe(200);
    expect(api.functionStats().find((stats) => stats.functionName === 'limited')).toMatchObject({ throttles: 1, peakContainers: 2 });
  });

  it('resets a container whose invocation timed out: the next request starts cold', async () => {
    const before = (await call('/probe')).body!;
    const timedOut = await call('/probe?sleep=5000');
    expect(timedOut.status).toBe(500);
    expect(notes.join('\n')).toMatch(/timed out after 3000 ms/);
    const probeStats = () => api.functionStats().find((stats) => stats.functionName.endsWith('container-probe-handler'))!;
    const coldStartsBefore = probeStats().coldStarts;
    const after = await Promise.all([call('/probe?sleep=300'), call('/probe?sleep=300')]);
    expect(after.every((answer) => answer.status === 200)).toBe(true);
    // The warm container most recently used took the request that timed out; it is gone,
    // and a new one started in its place.
    expect(after.map((answer) => answer.body!.containerId)).not.toContain(before.containerId);
    expect(probeStats().coldStarts).toBeGreaterThan(coldStartsBefore);
  }, 15_000);

  it('answers an init failure (no such export) like a function error, without a stack trace', async () => {
    const broken = await call('/broken');
    expect(broken.status).toBe(500);
    expect(JSON.parse(broken.text)).toEqual({ message: 'Internal Server Error' });
    expect(notes.join('\n')).toMatch(/init threw TypeError/);
  });
});

describe('containers (the token function under the local stack)', () => {
  let stack: LocalStack;
  const lines: string[] = [];
  beforeAll(async () => {
    stack = await startTestStack({ entryPoints: 'lambda', providerTimeoutMs: 5_000, functionLog: (line) => lines.push(line) });
  });
  afterAll(() => stack?.stop());

  const login = () => postToken(stack, { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice });

  it('cold-starts a second container for a concurrent login, and reuses a warm one for the next', async () => {
    // A slow provider keeps the first container busy while the second request arrives.
    stack.emulators.facebook.setDelay(1_500);
    const both = await Promise.all([login(), login()]);
    stack.emulators.facebook.setDelay(0);
    expect(both.map((call) => call.status)).toEqual([200, 200]);
    expect(decodeJwt(both[0]!.body.id_token as string).sub).toBe(decodeJwt(both[1]!.body.id_token as string).sub);
    const cold = reportsIn(lines).filter((report) => report.functionName === 'local-token');
    expect(cold).toHaveLength(2);
    expect(new Set(cold.map((report) => report.logStreamName)).size).toBe(2);
    expect(cold.every((report) => report.record.metrics.initDurationMs! > 0 && report.record.status === 'success')).toBe(true);

    lines.length = 0;
    expect((await login()).status).toBe(200);
    const [warm] = reportsIn(lines).filter((report) => report.functionName === 'local-token');
    expect(warm!.record.metrics.initDurationMs).toBeUndefined();
    expect(cold.map((report) => report.logStreamName)).toContain(warm!.logStreamName);
  }, 30_000);
});
