import { median, round } from './stats.js';
import type { BenchServices } from './services.js';

/**
 * The warm ID-token exchange at POST /oauth/token (DESIGN section 10), counted in round
 * trips like critical-path.ts: the JWKS is cached, so verification makes no provider call
 * at all and the only hop is the one parallel write step (user writes ‖ single-use record ‖
 * KMS Sign ‖ access-token record). Expected: 1 hop, 0 provider calls.
 */
export interface IdTokenPathFigures {
  delayMs: number;
  runs: number;
  baselineMs: number;
  medianMs: number;
  hops: number;
  expectedHops: 1;
  providerCallsPerExchange: number;
  callsPerExchange: Record<string, number>;
}

const exchangeIdToken = async (services: BenchServices): Promise<number> => {
  const { stack } = services;
  const token = stack.emulators.google.idTokens.mint({ raw_nonce: 'bench-nonce' });
  const started = performance.now();
  const response = await fetch(`${stack.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: 'my-app',
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      subject_token: token,
      nonce: 'bench-nonce',
      scope: 'openid profile email',
    }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`ID-token exchange answered ${response.status}`);
  return performance.now() - started;
};

export const measureIdTokenPath = async (
  services: BenchServices,
  options: { delayMs: number; runs: number },
): Promise<IdTokenPathFigures> => {
  const { stack, kms, dynamoProxy } = services;
  const emulators = Object.values(stack.emulators);
  services.setDelay(0);
  for (let i = 0; i < 3; i += 1) await exchangeIdToken(services); // JWKS, config and user now warm
  const baseline: number[] = [];
  for (let i = 0; i < options.runs; i += 1) baseline.push(await exchangeIdToken(services));

  services.setDelay(options.delayMs);
  await exchangeIdToken(services);
  const providerMark = emulators.reduce((sum, emulator) => sum + emulator.calls.length, 0);
  const marks = { dynamo: dynamoProxy.calls.length, kms: kms.calls.length };
  const latencies: number[] = [];
  try {
    for (let i = 0; i < options.runs; i += 1) latencies.push(await exchangeIdToken(services));
  } finally {
    services.setDelay(0);
  }
  const providerCalls = emulators.reduce((sum, emulator) => sum + emulator.calls.length, 0) - providerMark;
  const counts: Record<string, number> = {};
  for (const name of [
    ...dynamoProxy.calls.slice(marks.dynamo).map((call) => `dynamodb:${call.operation}`),
    ...kms.calls.slice(marks.kms).map((call) => `kms:${call.operation}`),
  ]) {
    counts[name] = (counts[name] ?? 0) + 1;
  }
  for (const name of Object.keys(counts)) counts[name] = round(counts[name]! / options.runs, 2);
  const medianMs = median(latencies);
  const baselineMs = median(baseline);
  return {
    delayMs: options.delayMs,
    runs: options.runs,
    baselineMs: round(baselineMs, 1),
    medianMs: round(medianMs, 1),
    hops: round((medianMs - baselineMs) / options.delayMs, 2),
    expectedHops: 1,
    providerCallsPerExchange: round(providerCalls / options.runs, 2),
    callsPerExchange: counts,
  };
};
