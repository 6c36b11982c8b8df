import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
  type IAlarmAction,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMES } from '../../functions/core/metrics.js';
import { apiFunctionsOf } from './api-function.js';

export interface ServiceAlarmsProps {
  api: HttpApi;
  /** The stage's access log group: the source of the 429 count. */
  accessLogs: ILogGroup;
  table: ITable;
  /** The stack's own metrics namespace (`stackMetricsNamespace`). */
  namespace: string;
  /** Where every alarm sends its ALARM and OK notifications. */
  actions: IAlarmAction[];
  /** Percentage of exchanges answered 5xx over 5 minutes that counts as a bad period. */
  errorRatePercent?: number;
  /** Below this many exchanges in 5 minutes the rate is not judged (one 503 at night is 100 %). */
  errorRateMinExchanges?: number;
}

const FIVE_MINUTES = Duration.minutes(5);

/** API Gateway HTTP APIs publish 4xx, 5xx, Count and latencies, never a 429 metric. */
export const THROTTLED_METRIC = 'ApiThrottled';

/**
 * `Provider` dimension values of `ProviderLatency` (functions/providers/*: the `provider`
 * label each adapter passes to the HTTP client). A new provider adds its label here.
 */
export const PROVIDER_LABELS = ['facebook', 'google', 'twitter', 'weibo'] as const;

/** How a bad value must repeat before an alarm fires: `datapoints` of the last `periods`. */
interface Persistence {
  periods: number;
  datapoints: number;
}
const AT_ONCE: Persistence = { periods: 1, datapoints: 1 };

/**
 * The alarms an operator of an auth endpoint needs: exchanges failing server-side, any 500,
 * dependencies (KMS, DynamoDB, providers) failing or slowing, throttling at API Gateway,
 * Lambda or DynamoDB, and crashes or near-timeouts of any function the stack defines. Every
 * alarm notifies `actions` when it fires and when it clears.
 */
export class ServiceAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, private readonly props: ServiceAlarmsProps) {
    super(scope, id);
    const custom = (metricName: string, dimensionsMap?: Record<string, string>, statistic = 'Sum') =>
      new Metric({ namespace: props.namespace, metricName, statistic, period: FIVE_MINUTES, ...(dimensionsMap ? { dimensionsMap } : {}) });

    const minExchanges = props.errorRateMinExchanges ?? 20;
    // CloudWatch metric math: MAX() takes time series only, so the guard against an empty or
    // tiny denominator is IF(); below the volume floor the period counts as healthy.
    const errorRate = new MathExpression({
      label: 'Exchange 5xx rate (%)',
      expression: `IF((success + failure) >= ${minExchanges}, 100 * (unavailable + serverError) / (success + failure), 0)`,
      usingMetrics: {
        unavailable: custom(METRIC_NAMES.unavailable),
        serverError: custom(METRIC_NAMES.serverError),
        success: custom(METRIC_NAMES.success),
        failure: custom(METRIC_NAMES.failure),
      },
      period: FIVE_MINUTES,
    });
    this.add('ExchangeErrorRate', errorRate, props.errorRatePercent ?? 5, 'Too many exchanges failed with 5xx (2 of the last 3 periods)', {
      periods: 3,
      datapoints: 2,
    });
    this.add('ExchangeServerErrors', custom(METRIC_NAMES.serverError), 1, 'An exchange answered 500 (a bug or a misconfiguration)');
    this.add('ProviderCredentialsRejected', custom(METRIC_NAMES.providerCredentialsRejected), 1, 'A provider refused our app credentials (Facebook app token): check the connection secret');
    this.add(
      'RequestDeadline',
      custom(METRIC_NAMES.unavailable, { Reason: 'request_deadline' }),
      1,
      'The request deadline fired: several dependencies were slow at once; Lambda timeouts come next',
    );
    this.add(
      'SigningUnavailable',
      custom(METRIC_NAMES.unavailable, { Reason: 'kms_unavailable' }),
      5,
      'KMS failed to sign: throttling (raise the quota) or a disabled or deleted key (a rotation mistake)',
    );
    this.add(
      'StoreUnavailable',
      custom(METRIC_NAMES.unavailable, { Reason: 'store_unavailable' }),
      5,
      'DynamoDB failed: throttling or an outage (see TableThrottles)',
    );
    for (const provider of PROVIDER_LABELS) {
      this.add(
        `ProviderSlow${provider[0]!.toUpperCase()}${provider.slice(1)}`,
        custom(METRIC_NAMES.providerLatency, { Provider: provider }, 'p99'),
        3000,
        `p99 latency of ${provider} above 3 s for 15 minutes: calls will soon hit the provider timeout and turn into 503s`,
        { periods: 3, datapoints: 3 },
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    }

    new MetricFilter(this, 'ThrottledRequests', {
      logGroup: props.accessLogs,
      filterPattern: FilterPattern.numberValue('$.status', '=', 429),
      metricNamespace: props.namespace,
      metricName: THROTTLED_METRIC,
      metricValue: '1',
    });
    this.add('ApiThrottling', custom(THROTTLED_METRIC), 10, 'API Gateway answered 429 (stage rate/burst limits or account quota)');
    this.add('Api5xx', props.api.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES }), 10, 'API Gateway answered 5xx');

    const throttleEvents = (metricName: string) =>
      new Metric({ namespace: 'AWS/DynamoDB', metricName, dimensionsMap: { TableName: props.table.tableName }, statistic: 'Sum', period: FIVE_MINUTES });
    this.add(
      'TableThrottles',
      new MathExpression({
        label: 'DynamoDB throttle events',
        expression: 'reads + writes',
        usingMetrics: { reads: throttleEvents('ReadThrottleEvents'), writes: throttleEvents('WriteThrottleEvents') },
        period: FIVE_MINUTES,
      }),
      1,
      'DynamoDB throttled the table (sudden spike beyond on-demand capacity, or an account limit)',
    );

    for (const { name, fn, timeout } of apiFunctionsOf(this)) {
      this.add(`${name}Throttles`, fn.metricThrottles({ period: FIVE_MINUTES }), 1, `Lambda throttled the ${name} function`);
      this.add(`${name}Errors`, fn.metricErrors({ period: FIVE_MINUTES }), 1, `The ${name} function crashed or timed out`);
      this.add(
        `${name}Duration`,
        fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES }),
        Math.round(timeout.toMilliseconds() * 0.8),
        `p99 duration of the ${name} function above 80 % of its timeout for 10 minutes`,
        { periods: 2, datapoints: 2 },
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    }
  }

  private add(
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    persistence: Persistence = AT_ONCE,
    comparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  ) {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: persistence.periods,
      datapointsToAlarm: persistence.datapoints,
      comparisonOperator,
      // No traffic is not an incident.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(...this.props.actions);
    alarm.addOkAction(...this.props.actions);
    this.alarms.push(alarm);
  }
}
