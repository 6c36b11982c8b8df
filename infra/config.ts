/**
 * Deployment settings read from CDK context (`cdk.json` or `-c key=value`). Values given on
 * the command line arrive as strings, values from cdk.json keep their JSON type: both are
 * accepted. Anything malformed stops synthesis with a sentence naming the key.
 */

export type SigningKeySpec = 'RSA_2048' | 'ECC_NIST_P256';
export type SigningAlg = 'RS256' | 'ES256';

export interface StackConfig {
  stackName: string;
  /** Spec of the key the stack creates. */
  signingKeySpec: SigningKeySpec;
  /** Algorithm of the ACTIVE key (the stack's key unless `activeKeyId` is set). */
  signingAlg: SigningAlg;
  /** An existing key (id or ARN) to sign with instead of the stack's key. */
  activeKeyId?: string;
  /** Keys (id or ARN) still published in the JWKS but no longer signing. */
  retiredKeyIds: string[];
  customDomain?: { domainName: string; certificateArn: string };
  throttle: { rateLimit: number; burstLimit: number };
  configCacheTtlSeconds: number;
  providerTimeoutMs: number;
  accessTokenTtlSeconds: number;
  /** Declares the AWS_ENDPOINT_URL_* variables (empty) so `sam local --env-vars` can set them. */
  samLocal: boolean;
  /** Value of the `stage` tag on every resource. */
  stage: string;
  /** An existing SNS topic for alarm and OK notifications instead of the stack's own. */
  alarmTopicArn?: string;
  /** An address subscribed (after confirmation) to the alarm topic. */
  alarmEmail?: string;
  /** An operator role that may decrypt connection secrets besides the token function. */
  adminRoleArn?: string;
  /** Retention of the log groups holding audit events; retained when the stack is deleted. */
  auditLogRetentionDays: number;
  /** Reserved concurrency of the token function: caps what it can take from the account pool. */
  tokenReservedConcurrency?: number;
  /** Context `edge=waf`: CloudFront and AWS WAF in front of the HTTP API (DESIGN section 12). */
  edge?: EdgeConfig;
}

export interface EdgeConfig {
  /**
   * Region of the main stack (context `region`, else CDK_DEFAULT_REGION). A CLOUDFRONT-scope
   * WebACL exists only in us-east-1: elsewhere it goes to a small second stack there.
   */
  region: string;
  /** WAF rate rule: requests per IP in 5 minutes before WAF answers 429 itself. */
  wafRateLimit: number;
}

export interface ContextReader {
  tryGetContext(key: string): unknown;
}

export const CONTEXT_DEFAULTS = {
  stackName: 'SocialTokenExchange',
  signingKeySpec: 'RSA_2048',
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  configCacheTtlSeconds: 30,
  providerTimeoutMs: 5000,
  accessTokenTtlSeconds: 86400,
  stage: 'prod',
  auditLogRetentionDays: 365,
  wafRateLimit: 500,
} as const;

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

const ALG_OF_SPEC: Record<SigningKeySpec, SigningAlg> = { RSA_2048: 'RS256', ECC_NIST_P256: 'ES256' };

const KEY_ID = /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$/;
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CERT_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const STAGE = /^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$/;
/** The values CloudWatch Logs accepts for RetentionInDays. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** A bad context value: infra/app.ts prints its message as one line, without a stack trace. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

const fail = (key: string, expected: string, value: unknown): never => {
  throw new ContextError(`context "${key}": expected ${expected}, got ${JSON.stringify(value)}`);
};

const text = (ctx: ContextReader, key: string): string | undefined => {
  const value = ctx.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return fail(key, 'a string', value);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
};

const positiveInt = (ctx: ContextReader, key: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
  const value = ctx.tryGetContext(key);
  if (value === undefined || value === null || value === '') return fallback;
  const parsed = typeof value === 'string' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed) || parsed <= 0 || parsed > max) {
    return fail(key, max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `a positive integer up to ${max}`, value);
  }
  return parsed;
};

/**
 * HTTP APIs wait 30 s for an integration at most; the token function must fit a provider
 * call, one retry of it and the DynamoDB/KMS work in that budget.
 */
export const MAX_PROVIDER_TIMEOUT_MS = 12_000;

const flag = (ctx: ContextReader, key: string): boolean => {
  const value = ctx.tryGetContext(key);
  if (value === undefined || value === null || value === false || value === 'false' || value === '') return false;
  if (value === true || value === 'true') return true;
  return fail(key, 'true or false', value);
};

const oneOf = <T extends string>(ctx: ContextReader, key: string, allowed: readonly T[], fallback: T): T => {
  const value = text(ctx, key) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) return fail(key, `one of ${allowed.join(', ')}`, value);
  return value as T;
};

const matching = (ctx: ContextReader, key: string, pattern: RegExp, expected: string): string | undefined => {
  const value = text(ctx, key);
  return value === undefined || pattern.test(value) ? value : fail(key, expected, value);
};

/** KMS key ids or key ARNs only: IAM cannot scope kms:Sign to an alias ARN. */
const keyId = (key: string, value: string): string =>
  KEY_ID.test(value) || KEY_ARN.test(value) ? value : fail(key, 'a KMS key id or key ARN (not an alias)', value);

const keyIdList = (ctx: ContextReader, key: string): string[] => {
  const value = ctx.tryGetContext(key);
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : fail(key, 'a comma-separated list', value);
  const ids = items.map((item) => (typeof item === 'string' ? item.trim() : fail(key, 'strings', item))).filter((id) => id !== '');
  return [...new Set(ids.map((id) => keyId(key, id)))];
};

export const readStackConfig = (ctx: ContextReader): StackConfig => {
  const stackName = text(ctx, 'stackName') ?? CONTEXT_DEFAULTS.stackName;
  if (!STACK_NAME.test(stackName)) fail('stackName', 'a CloudFormation stack name', stackName);

  const signingKeySpec = oneOf<SigningKeySpec>(ctx, 'signingKeySpec', ['RSA_2048', 'ECC_NIST_P256'], CONTEXT_DEFAULTS.signingKeySpec);
  const signingAlg = oneOf<SigningAlg>(ctx, 'signingAlg', ['RS256', 'ES256'], ALG_OF_SPEC[signingKeySpec]);

  const active = text(ctx, 'activeKeyId');
  const activeKeyId = active === undefined ? undefined : keyId('activeKeyId', active);
  const retiredKeyIds = keyIdList(ctx, 'retiredKeyIds');
  if (activeKeyId !== undefined && retiredKeyIds.includes(activeKeyId)) {
    fail('retiredKeyIds', 'keys other than the active one', activeKeyId);
  }

  const domainName = text(ctx, 'domainName')?.toLowerCase();
  const certificateArn = text(ctx, 'certificateArn');
  if ((domainName === undefined) !== (certificateArn === undefined)) {
    throw new ContextError('context "domainName" and "certificateArn" go together: set both or neither');
  }
  if (domainName !== undefined && !DOMAIN.test(domainName)) fail('domainName', 'a DNS name', domainName);
  if (certificateArn !== undefined && !CERT_ARN.test(certificateArn)) fail('certificateArn', 'an ACM certificate ARN', certificateArn);

  const config: StackConfig = {
    stackName,
    signingKeySpec,
    signingAlg,
    retiredKeyIds,
    throttle: {
      rateLimit: positiveInt(ctx, 'throttleRateLimit', CONTEXT_DEFAULTS.throttleRateLimit),
      burstLimit: positiveInt(ctx, 'throttleBurstLimit', CONTEXT_DEFAULTS.throttleBurstLimit),
    },
    configCacheTtlSeconds: positiveInt(ctx, 'configCacheTtlSeconds', CONTEXT_DEFAULTS.configCacheTtlSeconds),
    providerTimeoutMs: positiveInt(ctx, 'providerTimeoutMs', CONTEXT_DEFAULTS.providerTimeoutMs, MAX_PROVIDER_TIMEOUT_MS),
    accessTokenTtlSeconds: positiveInt(ctx, 'accessTokenTtlSeconds', CONTEXT_DEFAULTS.accessTokenTtlSeconds),
    samLocal: flag(ctx, 'samLocal'),
    stage: matching(ctx, 'stage', STAGE, 'a tag value (letters, digits, _ . : / = + @ -)') ?? CONTEXT_DEFAULTS.stage,
    auditLogRetentionDays: positiveInt(ctx, 'auditLogRetentionDays', CONTEXT_DEFAULTS.auditLogRetentionDays),
  };
  if (!RETENTION_DAYS.includes(config.auditLogRetentionDays)) {
    fail('auditLogRetentionDays', `one of ${RETENTION_DAYS.join(', ')}`, config.auditLogRetentionDays);
  }
  const alarmTopicArn = matching(ctx, 'alarmTopicArn', TOPIC_ARN, 'an SNS topic ARN');
  if (alarmTopicArn !== undefined) config.alarmTopicArn = alarmTopicArn;
  const alarmEmail = matching(ctx, 'alarmEmail', EMAIL, 'an email address');
  if (alarmEmail !== undefined) config.alarmEmail = alarmEmail;
  const adminRoleArn = matching(ctx, 'adminRoleArn', ROLE_ARN, 'an IAM role ARN');
  if (adminRoleArn !== undefined) config.adminRoleArn = adminRoleArn;
  if (ctx.tryGetContext('tokenReservedConcurrency') !== undefined) {
    config.tokenReservedConcurrency = positiveInt(ctx, 'tokenReservedConcurrency', 1);
  }
  if (oneOf<'none' | 'waf'>(ctx, 'edge', ['none', 'waf'], 'none') === 'waf') config.edge = readEdgeConfig(ctx, certificateArn);
  if (activeKeyId !== undefined) config.activeKeyId = activeKeyId;
  if (domainName !== undefined && certificateArn !== undefined) config.customDomain = { domainName, certificateArn };
  return config;
};

const readEdgeConfig = (ctx: ContextReader, certificateArn: string | undefined): EdgeConfig => {
  const region = text(ctx, 'region') ?? process.env.CDK_DEFAULT_REGION;
  if (region === undefined) {
    throw new Error('context "edge=waf" needs the main stack\'s region: pass -c region=REGION (or set CDK_DEFAULT_REGION)');
  }
  if (!REGION.test(region)) fail('region', 'an AWS region such as eu-west-1', region);
  // CloudFront serves the custom domain then, and takes certificates from us-east-1 only.
  if (certificateArn !== undefined && !certificateArn.includes(':acm:us-east-1:')) {
    fail('certificateArn', 'a us-east-1 ACM certificate when edge=waf', certificateArn);
  }
  // AWS WAF rate-based rules count at least 10 requests per window.
  const wafRateLimit = positiveInt(ctx, 'wafRateLimit', CONTEXT_DEFAULTS.wafRateLimit, 2_000_000_000);
  if (wafRateLimit < 10) fail('wafRateLimit', 'at least 10 (the AWS WAF minimum)', wafRateLimit);
  return { region, wafRateLimit };
};
