import { exchange, exchangeFields, type BenchProvider, type BenchServices } from './services.js';
import { countBy, timeHops, type HopFigures } from './hops.js';

/**
 * The critical path of a warm exchange, counted in network round trips: the same fixed
 * delay sits in front of every provider, KMS and DynamoDB call, so the latency divided by
 * that delay is the number of sequential hops. Calls are counted too, to explain any hop
 * beyond the expected ones (Facebook, Google, Twitter: provider step, then one parallel
 * DynamoDB ‖ KMS step = 2; Weibo's second call needs the first one's uid = 3).
 */
export interface CriticalPathFigures extends HopFigures {
  provider: BenchProvider;
  /** Set for a variant of the provider's exchange (a refused token), else absent. */
  variant?: string;
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

export const measureCriticalPath = async (
  services: BenchServices,
  provider: BenchProvider,
  options: { delayMs: number; runs: number; variant?: PathVariant },
): Promise<CriticalPathFigures> => {
  const { stack } = services;
  const fields = options.variant?.fields ?? exchangeFields[provider];
  const status = options.variant?.status ?? 200;
  const ok = (url: string, body: Record<string, string>, what: string) => answered(url, body, status, what);

  // The first exchanges read the config (cached afterwards) and create the user: the
  // measured ones are warm exchanges of a returning, unlinked user.
  const { calls, ...figures } = await timeHops(services, options, () => ok(stack.url, fields, `${provider} exchange`));
  const providerOps = calls.providers
    .filter((call) => call.emulator === EMULATOR_OF[provider])
    .map((call) => `${provider}:${call.method} ${call.path}`);
  return {
    provider,
    ...(options.variant ? { variant: options.variant.label } : {}),
    ...figures,
    expectedHops: options.variant?.expectedHops ?? EXPECTED_HOPS[provider],
    callsPerExchange: countBy([...providerOps, ...calls.services], options.runs),
    configReads: calls.services.filter((op) => op === 'dynamodb:BatchGetItem').length,
  };
};
