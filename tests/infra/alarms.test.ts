import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addTokenExchangeStack, LOGICAL_IDS } from '../../infra/stack.js';
import { apiFunctionsOf } from '../../infra/constructs/api-function.js';
import { PROVIDER_LABELS, THROTTLED_METRIC } from '../../infra/constructs/alarms.js';
import { stackMetricsNamespace } from '../../functions/core/metrics.js';

type Json = Record<string, any>;

const synth = (context: Record<string, unknown> = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = addTokenExchangeStack(app);
  return { stack, json: Template.fromStack(stack).toJSON() as Json };
};

const ofType = (json: Json, type: string): Array<[string, Json]> =>
  Object.entries<Json>(json.Resources).filter(([, resource]) => resource.Type === type);

const alarmsOf = (json: Json) => Object.fromEntries(ofType(json, 'AWS::CloudWatch::Alarm').map(([id, alarm]) => [id, alarm.Properties as Json]));

/** Namespaces an alarm reads, whether it watches one metric or a math expression. */
const namespacesOf = (alarm: Json): string[] =>
  alarm.Namespace ? [alarm.Namespace] : (alarm.Metrics ?? []).filter((m: Json) => m.MetricStat).map((m: Json) => m.MetricStat.Metric.Namespace);

const byPrefix = (alarms: Record<string, Json>, prefix: string): Json => {
  const found = Object.entries(alarms).filter(([id]) => id.startsWith(`Alarms${prefix}`));
  expect(found, `one alarm ${prefix}`).toHaveLength(1);
  return found[0]![1];
};

describe('operational alarms (default deployment)', () => {
  const { stack, json } = synth();
  const alarms = alarmsOf(json);
  const namespace = stackMetricsNamespace('SocialTokenExchange');

  it('computes the 5xx rate with IF() (CloudWatch refuses a scalar inside MAX), only above a volume floor, 2 of 3 periods', () => {
    const rate = byPrefix(alarms, 'ExchangeErrorRate');
    const expression = rate.Metrics.find((m: Json) => m.Expression).Expression;
    expect(expression).toBe('IF((success + failure) >= 20, 100 * (unavailable + serverError) / (success + failure), 0)');
    expect(expression).not.toMatch(/MAX\(\[/);
    expect(rate).toMatchObject({ Threshold: 5, EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
    const ids = rate.Metrics.filter((m: Json) => m.MetricStat).map((m: Json) => [m.Id, m.MetricStat.Metric.MetricName, m.MetricStat.Stat]);
    expect(ids.sort()).toEqual([
      ['failure', 'ExchangeFailure', 'Sum'],
      ['serverError', 'ExchangeServerError', 'Sum'],
      ['success', 'ExchangeSuccess', 'Sum'],
      ['unavailable', 'ExchangeUnavailable', 'Sum'],
    ]);
  });

  it('reads custom metrics from this stack’s own namespace only, which the functions are told to write to', () => {
    const custom = Object.values(alarms).flatMap(namespacesOf).filter((ns) => !ns.startsWith('AWS/'));
    expect(custom.length).toBeGreaterThan(5);
    expect(new Set(custom)).toEqual(new Set([namespace]));
    for (const [id] of ofType(json, 'AWS::Lambda::Function')) {
      expect(json.Resources[id].Properties.Environment.Variables.METRICS_NAMESPACE).toBe(namespace);
    }
    const other = synth({ stackName: 'Staging' }).json;
    const otherNamespaces = Object.values(alarmsOf(other)).flatMap(namespacesOf).filter((ns) => !ns.startsWith('AWS/'));
    expect(new Set(otherNamespaces)).toEqual(new Set(['SocialTokenExchange/Staging']));
  });

  it('counts 429s from the access logs (HTTP APIs publish no 429 metric) and alarms on them', () => {
    const filters = ofType(json, 'AWS::Logs::MetricFilter');
    expect(filters).toHaveLength(1);
    const [, filter] = filters[0]!;
    const stage = ofType(json, 'AWS::ApiGatewayV2::Stage')[0]![1];
    expect(filter.Properties.LogGroupName).toEqual({ Ref: stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] });
    expect(filter.Properties.FilterPattern).toBe('{ $.status = 429 }');
    expect(filter.Properties.MetricTransformations).toEqual([{ MetricNamespace: namespace, MetricName: THROTTLED_METRIC, MetricValue: '1' }]);
    expect(byPrefix(alarms, 'ApiThrottling')).toMatchObject({ Namespace: namespace, MetricName: THROTTLED_METRIC, Statistic: 'Sum', Threshold: 10 });
    expect(Object.values(alarms).some((alarm) => alarm.Namespace === 'AWS/ApiGateway' && alarm.MetricName === '429')).toBe(false);
  });

  it('alarms on any 500, the request deadline, KMS and DynamoDB failures by Reason', () => {
    expect(byPrefix(alarms, 'ExchangeServerErrors')).toMatchObject({ Namespace: namespace, MetricName: 'ExchangeServerError', Threshold: 1 });
    for (const [prefix, reason, threshold] of [
      ['RequestDeadline', 'request_deadline', 1],
      ['SigningUnavailable', 'kms_unavailable', 5],
      ['StoreUnavailable', 'store_unavailable', 5],
    ] as const) {
      expect(byPrefix(alarms, prefix)).toMatchObject({
        Namespace: namespace,
        MetricName: 'ExchangeUnavailable',
        Dimensions: [{ Name: 'Reason', Value: reason }],
        Statistic: 'Sum',
        Threshold: threshold,
      });
    }
  });

  it.each(PROVIDER_LABELS)('alarms when %s is slow (p99 over 3 s, 3 of 3 periods)', (provider) => {
    const alarm = Object.values(alarms).find((a) => a.MetricName === 'ProviderLatency' && a.Dimensions?.[0]?.Value === provider);
    expect(alarm).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 3000, EvaluationPeriods: 3, DatapointsToAlarm: 3, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms on DynamoDB throttling of the table and on API Gateway 5xx', () => {
    const throttles = byPrefix(alarms, 'TableThrottles');
    expect(throttles.Metrics.find((m: Json) => m.Expression).Expression).toBe('reads + writes');
    for (const metric of throttles.Metrics.filter((m: Json) => m.MetricStat)) {
      expect(metric.MetricStat.Metric).toMatchObject({ Namespace: 'AWS/DynamoDB', Dimensions: [{ Name: 'TableName', Value: { Ref: 'Table' } }] });
    }
    expect(byPrefix(alarms, 'Api5xx')).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx' });
  });

  it('covers every function createApiFunction made: throttles, errors, and p99 duration near its timeout', () => {
    const functions = apiFunctionsOf(stack);
    expect(functions.map(({ name }) => name)).toEqual(['Token', 'OAuthToken', 'OAuthRevoke', 'Userinfo', 'Discovery']);
    for (const { name } of functions) {
      const functionId = `${name}Function`;
      expect(Object.values(LOGICAL_IDS)).toContain(functionId);
      const dimensions = [{ Name: 'FunctionName', Value: { Ref: functionId } }];
      expect(byPrefix(alarms, `${name}Throttles`)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: dimensions });
      expect(byPrefix(alarms, `${name}Errors`)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: dimensions });
      const timeoutMs = json.Resources[functionId].Properties.Timeout * 1000;
      expect(byPrefix(alarms, `${name}Duration`)).toMatchObject({
        MetricName: 'Duration',
        Dimensions: dimensions,
        ExtendedStatistic: 'p99',
        Threshold: timeoutMs * 0.8,
        EvaluationPeriods: 2,
      });
    }
  });

  it('sends ALARM and OK of every alarm to the stack’s topic, and outputs the topic', () => {
    const topics = ofType(json, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const [topicId] = topics[0]!;
    expect(Object.keys(alarms).length).toBeGreaterThanOrEqual(20);
    for (const [id, alarm] of Object.entries(alarms)) {
      expect(alarm.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions, id).toEqual([{ Ref: topicId }]);
    }
    expect(json.Outputs.AlarmTopicArn.Value).toEqual({ Ref: topicId });
    // The topic refuses plain-HTTP publishers; no email subscription unless asked for.
    const policy = ofType(json, 'AWS::SNS::TopicPolicy')[0]![1];
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toMatch(/"aws:SecureTransport":"false"/);
    const publish = (policy.Properties.PolicyDocument.Statement as Json[]).find((statement) => statement.Sid === 'AlarmsOfThisAccount');
    expect(publish).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    expect(ofType(json, 'AWS::SNS::Subscription')).toHaveLength(0);
  });
});

describe('alarm notifications from context', () => {
  it('subscribes -c alarmEmail to the stack’s topic', () => {
    const { json } = synth({ alarmEmail: 'oncall@example.com' });
    const subscriptions = ofType(json, 'AWS::SNS::Subscription');
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]![1].Properties).toMatchObject({ Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('uses -c alarmTopicArn instead of creating a topic', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111122223333:platform-oncall';
    const { json } = synth({ alarmTopicArn: topicArn });
    expect(ofType(json, 'AWS::SNS::Topic')).toHaveLength(0);
    for (const alarm of Object.values(alarmsOf(json))) {
      expect(alarm.AlarmActions).toEqual([topicArn]);
      expect(alarm.OKActions).toEqual([topicArn]);
    }
    expect(json.Outputs.AlarmTopicArn.Value).toBe(topicArn);
  });
});

describe('dashboard', () => {
  const { json } = synth();
  const dashboards = ofType(json, 'AWS::CloudWatch::Dashboard');
  const body = (): Json => {
    const joined = dashboards[0]![1].Properties.DashboardBody['Fn::Join'][1] as unknown[];
    // Tokens (function names, table name) become placeholders; the structure is what matters.
    return JSON.parse(joined.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
  };

  it('is one dashboard named after the stack, output for the operator', () => {
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]![1].Properties.DashboardName).toBe('SocialTokenExchange');
    expect(json.Outputs.DashboardName.Value).toEqual({ Ref: dashboards[0]![0] });
  });

  it('shows exchanges by strategy and reason, dependencies, API Gateway, Lambda and DynamoDB', () => {
    const widgets = body().widgets as Json[];
    const titles = widgets.map((widget) => widget.properties.title).filter(Boolean);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Exchanges succeeded, by strategy (count)',
        'Exchanges failed, by reason (count)',
        'Exchange latency p99 by strategy (ms)',
        '503s by reason (count)',
        'Provider latency p99 (ms)',
        'KMS and DynamoDB failures seen by exchanges (count)',
        'API Gateway responses (count)',
        'API Gateway latency (ms)',
        'Lambda duration p99 (ms)',
        'Lambda concurrency (max)',
        'Lambda throttles and errors (count)',
        'DynamoDB throttle events (count)',
      ]),
    );
    const text = JSON.stringify(widgets);
    expect(text).toContain(`SEARCH('{SocialTokenExchange/SocialTokenExchange,Strategy} MetricName=\\"ExchangeSuccess\\"', 'Sum', 300)`);
    expect(text).toContain(`SEARCH('{SocialTokenExchange/SocialTokenExchange,Reason} MetricName=\\"ExchangeFailure\\"', 'Sum', 300)`);
    for (const metric of ['4xx', '5xx', 'Latency', 'ConcurrentExecutions', 'Duration', 'Throttles', 'ReadThrottleEvents', 'WriteThrottleEvents']) {
      expect(text).toContain(`"${metric}"`);
    }
    // Every widget fits the 24-column grid.
    for (const widget of widgets) expect(widget.x + widget.width).toBeLessThanOrEqual(24);
  });
});
