import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
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
}

/** One Lambda behind the HTTP API, with its own one-month log group. */
export const createApiFunction = (scope: Construct, props: ApiFunctionProps): NodejsFunction => {
  // Logs expire anyway; a retained group would only be an orphan after teardown.
  const logGroup = new LogGroup(scope, `${props.logicalId}Logs`, {
    retention: LOG_RETENTION,
    removalPolicy: RemovalPolicy.DESTROY,
  });
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
    bundling: cdkBundling,
  });
  (fn.node.defaultChild as CfnFunction).overrideLogicalId(props.logicalId);
  return fn;
};
