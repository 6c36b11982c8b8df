import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../../functions/core/metrics.js';

export interface ServiceAlarmsProps {
  api: HttpApi;
  functions: Record<string, IFunction>;
  /** Percentage of exchanges answered 5xx over 5 minutes that raises the alarm. */
  errorRatePercent?: number;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The alarms an operator of an auth endpoint needs first: exchanges failing server-side
 * (dependencies down or bugs), any 500, throttling at API Gateway or Lambda, and Lambda
 * errors (crashes the handlers should never let through). Wire their actions to SNS as
 * your on-call practice dictates.
 */
export class ServiceAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const exchangeMetric = (metricName: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, statistic: 'Sum', period: FIVE_MINUTES });

    const errorRate = new MathExpression({
      label: 'Exchange 5xx rate (%)',
      expression: '100 * (unavailable + serverError) / MAX([success + failure, 1])',
      usingMetrics: {
        unavailable: exchangeMetric(METRIC_NAMES.unavailable),
        serverError: exchangeMetric(METRIC_NAMES.serverError),
        success: exchangeMetric(METRIC_NAMES.success),
        failure: exchangeMetric(METRIC_NAMES.failure),
      },
      period: FIVE_MINUTES,
    });
    this.add('ExchangeErrorRate', errorRate, props.errorRatePercent ?? 5, 'More than the allowed share of exchanges failed with 5xx');
    this.add('ExchangeServerErrors', exchangeMetric(METRIC_NAMES.serverError), 1, 'An exchange answered 500 (a bug or a misconfiguration)');
    this.add('ProviderCredentialsRejected', exchangeMetric(METRIC_NAMES.providerCredentialsRejected), 1, 'A provider refused our app credentials (Facebook app token): check the connection secret');
    this.add('ApiThrottling', props.api.metric('429', { statistic: 'Sum', period: FIVE_MINUTES }), 10, 'API Gateway throttled requests (stage rate/burst limits)');
    this.add('Api5xx', props.api.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES }), 10, 'API Gateway answered 5xx');
    for (const [name, fn] of Object.entries(props.functions)) {
      this.add(`${name}Throttles`, fn.metricThrottles({ period: FIVE_MINUTES }), 1, `Lambda throttled the ${name} function`);
      this.add(`${name}Errors`, fn.metricErrors({ period: FIVE_MINUTES }), 1, `The ${name} function crashed or timed out`);
    }
  }

  private add(id: string, metric: Metric | MathExpression, threshold: number, description: string) {
    this.alarms.push(
      new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }),
    );
  }
}
