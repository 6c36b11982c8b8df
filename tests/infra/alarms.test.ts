import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addTokenExchangeStack, LOGICAL_IDS } from '../../infra/stack.js';
import { METRICS_NAMESPACE } from '../../functions/core/metrics.js';

type Json = Record<string, any>;

const template = (): Json => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(addTokenExchangeStack(app)).toJSON() as Json;
};

describe('operational alarms', () => {
  const json = template();
  const alarms = Object.values<Json>(json.Resources)
    .filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm')
    .map((resource) => resource.Properties);

  it('alarms on the share of exchanges failing with 5xx, from the EMF metrics', () => {
    const rate = alarms.find((alarm) => alarm.Metrics?.some((m: Json) => /100 \* \(unavailable \+ serverError\)/.test(m.Expression ?? '')));
    expect(rate).toBeDefined();
    const namespaces = rate!.Metrics.filter((m: Json) => m.MetricStat).map((m: Json) => m.MetricStat.Metric.Namespace);
    expect(new Set(namespaces)).toEqual(new Set([METRICS_NAMESPACE]));
    expect(rate).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
  });

  it('alarms on any 500 from an exchange', () => {
    expect(alarms).toContainEqual(expect.objectContaining({ Namespace: METRICS_NAMESPACE, MetricName: 'ExchangeServerError', Threshold: 1 }));
  });

  it('alarms on API Gateway throttling and 5xx', () => {
    expect(alarms).toContainEqual(expect.objectContaining({ Namespace: 'AWS/ApiGateway', MetricName: '429' }));
    expect(alarms).toContainEqual(expect.objectContaining({ Namespace: 'AWS/ApiGateway', MetricName: '5xx' }));
  });

  it.each(Object.values(LOGICAL_IDS).filter((id) => id.endsWith('Function')))('alarms on throttles and errors of %s', (functionId) => {
    for (const metricName of ['Throttles', 'Errors']) {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
        }),
      );
    }
  });
});
