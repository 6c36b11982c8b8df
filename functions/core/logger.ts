import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The one logger: JSON lines on stdout (CloudWatch Logs parses them). Values under
 * sensitive keys are replaced before anything is written, at any depth, so a careless
 * call site cannot leak a token or a secret.
 *
 * Ours rather than Powertools for AWS Lambda's Logger: measured, Powertools Logger + Metrics
 * add 32 KB to every bundle and a visible share of the import time of each cold start
 * (docs/performance.md, "Logging and metrics"), and redaction by key would need a custom
 * formatter there anyway. The correlation fields use Powertools' names, so dashboards and
 * queries written for Powertools logs work on ours.
 */
const SENSITIVE_KEYS = new Set([
  'access_token',
  'access_token_secret',
  'id_token',
  'refresh_token',
  'subject_token',
  'client_secret',
  'private_key',
  'authorization',
  'appsecret_proof',
  'input_token',
  'token',
  'secret',
  'password',
  'body',
  'cookie',
  'oauth_signature',
]);

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const isSensitive = (key: string) => SENSITIVE_KEYS.has(key.toLowerCase());

/** Drops query strings from URLs: provider URLs carry tokens and app secrets there. */
const stripQuery = (value: string) => value.replace(/(https?:\/\/[^\s?#]+)\?[^\s#]*/gi, '$1?[REDACTED]');

export const redact = (value: unknown, depth = 0): unknown => {
  if (depth > 8) return '[DEPTH]';
  if (typeof value === 'string') return stripQuery(value);
  if (Array.isArray(value)) return value.map((entry) => redact(entry, depth + 1));
  if (value instanceof Error) return { name: value.name, message: stripQuery(value.message) };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) out[key] = isSensitive(key) ? '[REDACTED]' : redact(entry, depth + 1);
    return out;
  }
  return value;
};

export type LogSink = (line: string) => void;

let sink: LogSink = (line) => process.stdout.write(`${line}\n`);

/** Tests capture output by swapping the sink. */
export const setLogSink = (next: LogSink): LogSink => {
  const previous = sink;
  sink = next;
  return previous;
};

/** What ties a line to one invocation (Powertools for AWS Lambda field names). */
export interface InvocationLogContext {
  /** Whether this is the container's first invocation. */
  cold_start: boolean;
  /** The Lambda request id (`context.awsRequestId`). */
  function_request_id?: string;
  /** The API Gateway request id (`requestContext.requestId`): what the access logs carry. */
  correlation_id?: string;
  /** The X-Ray trace id (`Root=` of the trace header). */
  xray_trace_id?: string;
}

// Per invocation, not per module: the local stack serves concurrent requests in one process.
const invocation = new AsyncLocalStorage<InvocationLogContext>();

/** Runs `work` with `context` added to every line it logs, however deep. */
export const withInvocationContext = <T>(context: InvocationLogContext, work: () => T): T => invocation.run(context, work);

const serviceName = (): string => process.env.POWERTOOLS_SERVICE_NAME || 'social-token-exchange';

/** Added last, so no call site can overwrite or drop them. */
const correlation = () => ({ service: serviceName(), ...invocation.getStore() });

const write = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
  if (process.env.LOG_LEVEL === 'silent') return;
  sink(JSON.stringify({ level, time: new Date().toISOString(), message, ...(redact(fields) as object), ...correlation() }));
};

/**
 * A record whose top-level shape is fixed by a consumer (CloudWatch Embedded Metric Format
 * needs `_aws` at the top), still redacted and still through the one sink. The correlation
 * fields become EMF properties: searchable, never dimensions.
 */
export const writeRecord = (record: Record<string, unknown>): void => {
  if (process.env.LOG_LEVEL === 'silent') return;
  sink(JSON.stringify({ ...(redact(record) as object), ...correlation() }));
};

export const logger = {
  debug: (message: string, fields?: Record<string, unknown>) => {
    if (process.env.LOG_LEVEL === 'debug') write('debug', message, fields);
  },
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
