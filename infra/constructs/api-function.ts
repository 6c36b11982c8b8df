import path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import { LAMBDA_BUNDLE, PROJECT_ROOT } from '../bundling.js';

export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/** `LAMBDA_BUNDLE` in NodejsFunction's vocabulary; local esbuild only (no Docker here or in CI). */
export const cdkBundling: BundlingOptions = {
  forceDockerBundling: false,
  target: LAMBDA_BUNDLE.target,
  format: LAMBDA_BUNDLE.format === 'esm' ? OutputFormat.ESM : OutputFormat.CJS,
  minify: LAMBDA_BUNDLE.minify,
  sourceMap: LAMBDA_BUNDLE.sourcemap,
  sourcesContent: LAMBDA_BUNDLE.sourcesContent,
  externalModules: [...LAMBDA_BUNDLE.external],
  mainFields: [...LAMBDA_BUNDLE.mainFields],
  banner: LAMBDA_BUNDLE.banner,
  // esbuild resolves an alias's relative target from its working directory, the project root here.
  esbuildArgs: { '--alias': Object.entries(LAMBDA_BUNDLE.alias).map(([module, target]) => `${module}=${target}`) },
  logLevel: LogLevel.WARNING,
};

export interface ApiFunctionProps {
  /**
   * Fixed CloudFormation logical id: `infra/sam-env.json` is keyed by it, and a hashed id
   * would change whenever the construct tree is reorganised.
   */
  logicalId: string;
  /** Entry file relative to the project root. */
  entry: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  environment: Record<string, string>;
  /**
   * Days to keep the function's logs when they hold audit events (one per exchange): such a
   * log group is kept when the stack is deleted. Without it: one month, deleted with the stack.
   */
  auditLogRetentionDays?: number;
  reservedConcurrentExecutions?: number;
}

/** A function of the stack, with what the alarms and the dashboard need to know about it. */
export interface ApiFunction {
  /** Short name for alarm and widget titles: the logical id without `Function`. */
  name: string;
  fn: NodejsFunction;
  logGroup: LogGroup;
  timeout: Duration;
}

const REGISTRY = Symbol.for('social-token-exchange.api-functions');

/**
 * Every function made by `createApiFunction` in a stack, in creation order: the alarms,
 * the dashboard and the checks of the stack iterate this, so a new function is covered
 * without being named anywhere else.
 */
export const apiFunctionsOf = (scope: IConstruct): readonly ApiFunction[] => registryOf(scope);

const registryOf = (scope: IConstruct): ApiFunction[] => {
  const stack = Stack.of(scope) as Stack & { [REGISTRY]?: ApiFunction[] };
  return (stack[REGISTRY] ??= []);
};

/**
 * One Lambda behind the HTTP API: its own log group, a role that may write to that group
 * only (not AWSLambdaBasicExecutionRole, which allows every group of the account), and
 * active X-Ray tracing.
 */
export const createApiFunction = (scope: Construct, props: ApiFunctionProps): NodejsFunction => {
  const audit = props.auditLogRetentionDays !== undefined;
  const logGroup = new LogGroup(scope, `${props.logicalId}Logs`, {
    retention: audit ? (props.auditLogRetentionDays as RetentionDays) : LOG_RETENTION,
    // Audit events must outlive a teardown; other logs expire anyway and would be orphans.
    removalPolicy: audit ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${props.logicalId}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `Runs ${props.logicalId}`,
  });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, props.logicalId, {
    entry: path.join(PROJECT_ROOT, props.entry),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: LAMBDA_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
    memorySize: props.memorySize,
    timeout: props.timeout,
    description: props.description,
    environment: props.environment,
    logGroup,
    role,
    tracing: Tracing.ACTIVE,
    ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
    bundling: cdkBundling,
  });
  (fn.node.defaultChild as CfnFunction).overrideLogicalId(props.logicalId);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions',
  });
  registryOf(scope).push({ name: props.logicalId.replace(/Function$/, ''), fn, logGroup, timeout: props.timeout });
  return fn;
};
