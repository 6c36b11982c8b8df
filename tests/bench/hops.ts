import type { BenchServices } from './services.js';
import { median, round } from './stats.js';

/**
 * How the critical-path benchmarks count round trips: the same request timed without delay,
 * then with the same fixed delay in front of every provider, KMS and DynamoDB call; the extra
 * latency divided by the delay is the number of sequential hops.
 */
export interface HopFigures {
  delayMs: number;
  runs: number;
  /** Median latency with no delay: the local stack's own overhead. */
  baselineMs: number;
  medianMs: number;
  /** medianMs / delay. */
  delays: number;
  /** (medianMs - baselineMs) / delay: the hops, without the local overhead. */
  hops: number;
}

/** Mean calls per run, by name. */
export const countBy = (names: string[], runs: number): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  for (const name of Object.keys(counts)) counts[name] = round(counts[name]! / runs, 2);
  return counts;
};

export interface TimedCalls {
  /** DynamoDB and KMS operations during the delayed runs, as `dynamodb:Op` / `kms:Op`. */
  services: string[];
  /** Provider calls during the delayed runs, as each emulator logged them. */
  providers: Array<{ emulator: string; method: string; path: string }>;
}

/**
 * Runs `once` (which answers its latency in ms) `warmups` times and then `runs` times without
 * delay, once more with the delay as a warm-up, then `runs` times with it, counting the calls
 * of those last runs. The delay is off again afterwards, whatever happens.
 */
export const timeHops = async (
  services: BenchServices,
  options: { delayMs: number; runs: number; warmups?: number },
  once: () => Promise<number>,
): Promise<HopFigures & { calls: TimedCalls }> => {
  const { stack, kms, dynamoProxy } = services;
  const emulators = Object.entries(stack.emulators);
  services.setDelay(0);
  for (let i = 0; i < (options.warmups ?? 3); i += 1) await once();
  const baseline: number[] = [];
  for (let i = 0; i < options.runs; i += 1) baseline.push(await once());

  services.setDelay(options.delayMs);
  const latencies: number[] = [];
  let marks = { dynamo: 0, kms: 0, providers: emulators.map(() => 0) };
  try {
    await once();
    marks = { dynamo: dynamoProxy.calls.length, kms: kms.calls.length, providers: emulators.map(([, emulator]) => emulator.calls.length) };
    for (let i = 0; i < options.runs; i += 1) latencies.push(await once());
  } finally {
    services.setDelay(0);
  }
  const medianMs = median(latencies);
  const baselineMs = median(baseline);
  return {
    delayMs: options.delayMs,
    runs: options.runs,
    baselineMs: round(baselineMs, 1),
    medianMs: round(medianMs, 1),
    delays: round(medianMs / options.delayMs, 2),
    hops: round((medianMs - baselineMs) / options.delayMs, 2),
    calls: {
      services: [
        ...dynamoProxy.calls.slice(marks.dynamo).map((call) => `dynamodb:${call.operation}`),
        ...kms.calls.slice(marks.kms).map((call) => `kms:${call.operation}`),
      ],
      providers: emulators.flatMap(([name, emulator], index) =>
        emulator.calls.slice(marks.providers[index]).map((call) => ({ emulator: name, method: call.method, path: call.path })),
      ),
    },
  };
};
