/**
 * The one logger: JSON lines on stdout (CloudWatch Logs parses them). Values under
 * sensitive keys are replaced before anything is written, at any depth, so a careless
 * call site cannot leak a token or a secret.
 */
const SENSITIVE_KEYS = new Set([
  'access_token',
  'access_token_secret',
  'id_token',
  'refresh_token',
  'subject_token',
  'client_secret',
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

const write = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
  if (process.env.LOG_LEVEL === 'silent') return;
  sink(JSON.stringify({ level, time: new Date().toISOString(), message, ...(redact(fields) as object) }));
};

/**
 * A record whose top-level shape is fixed by a consumer (CloudWatch Embedded Metric Format
 * needs `_aws` at the top), still redacted and still through the one sink.
 */
export const writeRecord = (record: Record<string, unknown>): void => {
  if (process.env.LOG_LEVEL === 'silent') return;
  sink(JSON.stringify(redact(record)));
};

export const logger = {
  debug: (message: string, fields?: Record<string, unknown>) => {
    if (process.env.LOG_LEVEL === 'debug') write('debug', message, fields);
  },
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
