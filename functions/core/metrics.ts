import { writeRecord } from './logger.js';

/**
 * CloudWatch metrics in Embedded Metric Format: JSON lines that CloudWatch Logs turns into
 * metrics without an API call from the function. Dimension values come only from code
 * (strategies, OAuthError reasons), never from the request, so their number stays bounded.
 */
export const METRICS_NAMESPACE = 'SocialTokenExchange';

/**
 * The namespace one deployed stack writes to (the stack sets `METRICS_NAMESPACE`): two
 * stacks in one account and region must not feed each other's alarms.
 */
export const stackMetricsNamespace = (stackName: string): string => `${METRICS_NAMESPACE}/${stackName}`;

const currentNamespace = (): string => process.env.METRICS_NAMESPACE || METRICS_NAMESPACE;

export const METRIC_NAMES = {
  success: 'ExchangeSuccess',
  failure: 'ExchangeFailure',
  /** 503s: a dependency was unavailable. The alarm that matters most. */
  unavailable: 'ExchangeUnavailable',
  /** 500s: a bug or a misconfiguration. */
  serverError: 'ExchangeServerError',
  latency: 'ExchangeLatency',
  providerLatency: 'ProviderLatency',
  /** A provider refused OUR app credentials (Facebook's app token): an operator must act. */
  providerCredentialsRejected: 'ProviderCredentialsRejected',
} as const;

/** Failure reasons that mean our own provider credentials were refused (DESIGN section 12). */
export const CREDENTIALS_REJECTED_REASONS: ReadonlySet<string> = new Set(['facebook_app_token_rejected']);

interface MetricDefinition {
  Name: string;
  Unit: 'Count' | 'Milliseconds';
}

const emf = (dimensions: string[][], metrics: MetricDefinition[], values: Record<string, string | number>, now: number) =>
  writeRecord({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [{ Namespace: currentNamespace(), Dimensions: dimensions, Metrics: metrics }],
    },
    ...values,
  });

const count = (name: string): MetricDefinition => ({ Name: name, Unit: 'Count' });

/**
 * Every distinct dimension value is a separate, billed CloudWatch metric. Reasons are code
 * literals today; should one ever be built from a request, it is counted as 'other' rather
 * than minting a metric per attacker-chosen string.
 */
const DIMENSION_VALUE = /^[a-z][a-z0-9_-]{0,47}$/;
const boundedDimension = (value: string | undefined): string =>
  value === undefined ? 'unknown' : DIMENSION_VALUE.test(value) ? value : 'other';

export interface ExchangeMetrics {
  status: number;
  /** OAuthError reason of a failure. */
  reason?: string;
  /** The connection's strategy, when the request got that far. */
  strategy?: string;
  latencyMs: number;
}

/** One EMF record per exchange: totals (no dimension), and by Reason or by Strategy. */
export const recordExchange = (exchange: ExchangeMetrics, now = Date.now()): void => {
  const latency = { Name: METRIC_NAMES.latency, Unit: 'Milliseconds' } as const;
  if (exchange.status === 200) {
    emf(
      [[], ['Strategy']],
      [count(METRIC_NAMES.success), latency],
      { Strategy: boundedDimension(exchange.strategy), [METRIC_NAMES.success]: 1, [METRIC_NAMES.latency]: exchange.latencyMs },
      now,
    );
    return;
  }
  emf(
    [[], ['Reason']],
    [count(METRIC_NAMES.failure), count(METRIC_NAMES.unavailable), count(METRIC_NAMES.serverError), latency],
    {
      Reason: boundedDimension(exchange.reason),
      [METRIC_NAMES.failure]: 1,
      [METRIC_NAMES.unavailable]: exchange.status === 503 ? 1 : 0,
      [METRIC_NAMES.serverError]: exchange.status >= 500 && exchange.status !== 503 ? 1 : 0,
      [METRIC_NAMES.latency]: exchange.latencyMs,
    },
    now,
  );
  if (exchange.reason !== undefined && CREDENTIALS_REJECTED_REASONS.has(exchange.reason)) {
    // No dimension: the alarm (infra/constructs/alarms.ts) watches the total.
    emf([[]], [count(METRIC_NAMES.providerCredentialsRejected)], { Reason: exchange.reason, [METRIC_NAMES.providerCredentialsRejected]: 1 }, now);
  }
};

/** One EMF record per provider call (the `observe` hook of the provider HTTP client). */
export const recordProviderCall = (
  sample: { provider: string; endpoint: string; ms: number; status: number | 'error' },
  now = Date.now(),
): void =>
  emf(
    [['Provider'], ['Provider', 'Endpoint']],
    [{ Name: METRIC_NAMES.providerLatency, Unit: 'Milliseconds' }],
    {
      Provider: sample.provider,
      Endpoint: sample.endpoint,
      Status: String(sample.status),
      [METRIC_NAMES.providerLatency]: Math.round(sample.ms),
    },
    now,
  );
