import { exchange, exchangeFields, type BenchProvider, type BenchServices } from './services.js';
import { median, round } from './stats.js';

/**
 * The critical path of a warm exchange, counted in network round trips: the same fixed
 * delay sits in front of every provider, KMS and DynamoDB call, so the latency divided by
 * that delay is the number of sequential hops. Calls are counted too, to explain any hop
 * beyond the expected ones (Facebook, Google, Twitter: provider step, then one parallel
 * DynamoDB ‖ KMS step = 2; Weibo's second call needs the first one's uid = 3).
 */
export interface CriticalPathFigures {
  provider: BenchProvider;
  /** Set for a variant of the provider's exchange (a refused token), else absent. */
  variant?: string;
  delayMs: number;
  runs: number;
  /** Median latency with no delay: the local stack's own overhead. */
  baselineMs: number;
  medianMs: number;
  /** medianMs / delay. */
  delays: number;
  /** (medianMs - baselineMs) / delay: the hops, without the local overhead. */
  hops: number;
  expectedHops: number;
  /** Calls per warm exchange, by service and operation (a mean over the measured runs). */
  callsPerExchange: Record<string, number>;
  /** Config reads during measured (warm) exchanges: must be 0. */
  configReads: number;
}

export const EXPECTED_HOPS: Record<BenchProvider, number> = { facebook: 2, 'google-oauth2': 2, twitter: 2, weibo: 3 };

const EMULATOR_OF: Record<BenchProvider, keyof BenchServices['stack']['emulators']> = {
  facebook: 'facebook',
  'google-oauth2': 'google',
  twitter: 'twitter',
  weibo: 'weibo',
};

const answered = async (url: string, fields: Record<string, string>, status: number, what: string) => {
  const outcome = await exchange(url, fields);
  if (outcome.status !== status) throw new Error(`${what}: exchange answered ${outcome.status}, expected ${status}`);
  return outcome.ms;
};

/**
 * Another exchange of the same provider, timed the same way: a refused token shows what the
 * attempt limiter adds (DESIGN section 12). A success costs it nothing; a refusal adds the
 * failure count's atomic ADD after the provider's answer, one hop.
 */
export interface PathVariant {
  label: string;
  fields: Record<string, string>;
  status: number;
  expectedHops: number;
}

const countBy = (names: string[], runs: number): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  for (const name of Object.keys(counts)) counts[name] = round(counts[name]! / runs, 2);
  return counts;
};

export const measureCriticalPath = async (
  services: BenchServices,
  provider: BenchProvider,
  options: { delayMs: number; runs: number; variant?: PathVariant },
): Promise<CriticalPathFigures> => {
  const { stack, kms, dynamoProxy } = services;
  const fields = options.variant?.fields ?? exchangeFields[provider];
  const status = options.variant?.status ?? 200;
  const ok = (url: string, body: Record<string, string>, what: string) => answered(url, body, status, what);
  const emulator = stack.emulators[EMULATOR_OF[provider]];

  // The first exchange reads the config (cached afterwards) and creates the user: the
  // measured ones are warm exchanges of a returning, unlinked user.
  services.setDelay(0);
  for (let i = 0; i < 3; i += 1) await ok(stack.url, fields, `${provider} warm-up`);
  const baseline: number[] = [];
  for (let i = 0; i < options.runs; i += 1) baseline.push(await ok(stack.url, fields, `${provider} baseline`));

  services.setDelay(options.delayMs);
  await ok(stack.url, fields, `${provider} delayed warm-up`);
  const marks = { dynamo: dynamoProxy.calls.length, kms: kms.calls.length, provider: emulator.calls.length };
  const latencies: number[] = [];
  try {
    for (let i = 0; i < options.runs; i += 1) latencies.push(await ok(stack.url, fields, `${provider} delayed`));
  } finally {
    services.setDelay(0);
  }

  const dynamoOps = dynamoProxy.calls.slice(marks.dynamo).map((call) => `dynamodb:${call.operation}`);
  const kmsOps = kms.calls.slice(marks.kms).map((call) => `kms:${call.operation}`);
  const providerOps = emulator.calls.slice(marks.provider).map((call) => `${provider}:${call.method} ${call.path}`);
  const medianMs = median(latencies);
  const baselineMs = median(baseline);
  return {
    provider,
    ...(options.variant ? { variant: options.variant.label } : {}),
    delayMs: options.delayMs,
    runs: options.runs,
    baselineMs: round(baselineMs, 1),
    medianMs: round(medianMs, 1),
    delays: round(medianMs / options.delayMs, 2),
    hops: round((medianMs - baselineMs) / options.delayMs, 2),
    expectedHops: options.variant?.expectedHops ?? EXPECTED_HOPS[provider],
    callsPerExchange: countBy([...providerOps, ...dynamoOps, ...kmsOps], options.runs),
    configReads: dynamoOps.filter((op) => op === 'dynamodb:BatchGetItem').length,
  };
};
