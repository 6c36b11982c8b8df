import { afterEach, describe, expect, it } from 'vitest';
import { setLogSink } from '../../functions/core/logger.js';
import { METRICS_NAMESPACE, recordExchange, recordProviderCall } from '../../functions/core/metrics.js';

/** Checks a record against the Embedded Metric Format specification's required shape. */
const expectEmf = (record: Record<string, unknown>) => {
  const aws = record._aws as { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  expect(Number.isInteger(aws.Timestamp)).toBe(true);
  for (const directive of aws.CloudWatchMetrics) {
    expect(directive.Namespace).toBe(METRICS_NAMESPACE);
    for (const dimensionSet of directive.Dimensions) {
      for (const dimension of dimensionSet) expect(typeof record[dimension]).toBe('string');
    }
    for (const metric of directive.Metrics) expect(typeof record[metric.Name]).toBe('number');
  }
};

describe('EMF metrics', () => {
  let restore: ((line: string) => void) | undefined;
  const capture = () => {
    const lines: string[] = [];
    restore = setLogSink((line) => lines.push(line));
    return lines;
  };
  afterEach(() => {
    if (restore) setLogSink(restore);
  });

  it('records a success by strategy', () => {
    const lines = capture();
    recordExchange({ status: 200, strategy: 'facebook', latencyMs: 42 }, 1_000);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expectEmf(record);
    expect(record).toMatchObject({ Strategy: 'facebook', ExchangeSuccess: 1, ExchangeLatency: 42 });
  });

  it('records failures by reason, with 503s and 500s counted apart', () => {
    const lines = capture();
    recordExchange({ status: 503, reason: 'provider_timeout', latencyMs: 5000 });
    recordExchange({ status: 500, reason: 'unexpected', latencyMs: 3 });
    recordExchange({ status: 401, reason: 'expired', latencyMs: 30 });
    const [unavailable, serverError, rejected] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const record of [unavailable!, serverError!, rejected!]) expectEmf(record);
    expect(unavailable).toMatchObject({ Reason: 'provider_timeout', ExchangeFailure: 1, ExchangeUnavailable: 1, ExchangeServerError: 0 });
    expect(serverError).toMatchObject({ ExchangeUnavailable: 0, ExchangeServerError: 1 });
    expect(rejected).toMatchObject({ Reason: 'expired', ExchangeUnavailable: 0, ExchangeServerError: 0 });
  });

  it('keeps the Reason dimension a bounded set', () => {
    const lines = capture();
    recordExchange({ status: 400, reason: 'client chose <this>', latencyMs: 1 });
    recordExchange({ status: 400, reason: 'x'.repeat(200), latencyMs: 1 });
    recordExchange({ status: 400, latencyMs: 1 });
    recordExchange({ status: 200, strategy: 'google-oauth2', latencyMs: 1 });
    const [chosen, long, missing, google] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect([chosen?.Reason, long?.Reason, missing?.Reason]).toEqual(['other', 'other', 'unknown']);
    expect(google?.Strategy).toBe('google-oauth2');
  });

  it('records provider latency without URLs', () => {
    const lines = capture();
    recordProviderCall({ provider: 'google', endpoint: 'tokeninfo', ms: 12.6, status: 200 });
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expectEmf(record);
    expect(record).toMatchObject({ Provider: 'google', Endpoint: 'tokeninfo', ProviderLatency: 13, Status: '200' });
  });
});
