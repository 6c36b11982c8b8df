import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Dashboard, GraphWidget, MathExpression, Metric, TextWidget, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { METRIC_NAMES } from '../../functions/core/metrics.js';
import { apiFunctionsOf } from './api-function.js';
import { THROTTLED_METRIC } from './alarms.js';

export interface ServiceDashboardProps {
  dashboardName: string;
  api: HttpApi;
  table: ITable;
  namespace: string;
}

const FIVE_MINUTES = Duration.minutes(5);
const WIDTH = 12;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard for the on-call: exchanges by strategy and by failure reason
 * (SEARCH expressions, so a new strategy or reason appears without a deployment), the
 * dependencies (providers, KMS, DynamoDB), API Gateway, and every function of the stack.
 */
export class ServiceDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const { namespace } = props;
    const search = (dimension: string, metricName: string, statistic: string, label: string) =>
      new MathExpression({
        expression: `SEARCH('{${namespace},${dimension}} MetricName="${metricName}"', '${statistic}', 300)`,
        usingMetrics: {},
        label,
        period: FIVE_MINUTES,
      });
    const custom = (metricName: string, dimensionsMap: Record<string, string> = {}, statistic = 'Sum', label?: string) =>
      new Metric({ namespace, metricName, dimensionsMap, statistic, period: FIVE_MINUTES, ...(label ? { label } : {}) });
    const graph = (title: string, left: GraphWidget['props']['left'], right?: GraphWidget['props']['right']): GraphWidget =>
      new GraphWidget({ title, left: left ?? [], ...(right ? { right } : {}), width: WIDTH, height: HEIGHT });

    const functions = apiFunctionsOf(this);
    const title = new TextWidget({
      markdown: `# ${props.dashboardName}\nExchanges (custom metrics in \`${namespace}\`), dependencies, API Gateway and Lambda. Alarms notify the stack's alarm topic.`,
      width: 24,
      height: 2,
    });
    const graphs: IWidget[] = [
      graph('Exchanges succeeded, by strategy (count)', [search('Strategy', METRIC_NAMES.success, 'Sum', '')]),
      graph('Exchanges failed, by reason (count)', [search('Reason', METRIC_NAMES.failure, 'Sum', '')]),
      graph('Exchange latency p99 by strategy (ms)', [search('Strategy', METRIC_NAMES.latency, 'p99', '')]),
      graph('503s by reason (count)', [search('Reason', METRIC_NAMES.unavailable, 'Sum', '')]),
      graph('Provider latency p99 (ms)', [search('Provider', METRIC_NAMES.providerLatency, 'p99', '')]),
      graph('KMS and DynamoDB failures seen by exchanges (count)', [
        custom(METRIC_NAMES.unavailable, { Reason: 'kms_unavailable' }, 'Sum', 'KMS unavailable'),
        custom(METRIC_NAMES.unavailable, { Reason: 'store_unavailable' }, 'Sum', 'DynamoDB unavailable'),
      ]),
      graph(
        'API Gateway responses (count)',
        [
          props.api.metricCount({ period: FIVE_MINUTES, label: 'requests' }),
          props.api.metricClientError({ period: FIVE_MINUTES, label: '4xx' }),
          props.api.metricServerError({ period: FIVE_MINUTES, label: '5xx' }),
          custom(THROTTLED_METRIC, {}, 'Sum', '429 (access logs)'),
        ],
      ),
      graph('API Gateway latency (ms)', [
        props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p50', label: 'p50' }),
        props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99', label: 'p99' }),
        props.api.metricIntegrationLatency({ period: FIVE_MINUTES, statistic: 'p99', label: 'integration p99' }),
      ]),
      graph(
        'Lambda duration p99 (ms)',
        functions.map(({ name, fn }) => fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: name })),
      ),
      graph(
        'Lambda concurrency (max)',
        functions.map(({ name, fn }) => fn.metric('ConcurrentExecutions', { period: FIVE_MINUTES, statistic: 'Maximum', label: name })),
      ),
      graph(
        'Lambda throttles and errors (count)',
        functions.flatMap(({ name, fn }) => [
          fn.metricThrottles({ period: FIVE_MINUTES, label: `${name} throttles` }),
          fn.metricErrors({ period: FIVE_MINUTES, label: `${name} errors` }),
        ]),
      ),
      graph(
        'DynamoDB throttle events (count)',
        ['ReadThrottleEvents', 'WriteThrottleEvents'].map(
          (metricName) =>
            new Metric({
              namespace: 'AWS/DynamoDB',
              metricName,
              dimensionsMap: { TableName: props.table.tableName },
              statistic: 'Sum',
              period: FIVE_MINUTES,
            }),
        ),
      ),
    ];
    const rows: IWidget[][] = [[title]];
    for (let i = 0; i < graphs.length; i += 2) rows.push(graphs.slice(i, i + 2));
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName, widgets: rows });
  }
}
