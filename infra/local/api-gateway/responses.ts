import type { HttpAnswer } from './types.js';

/**
 * Turns what a Lambda returned into the HTTP answer API Gateway would send, or `null` when
 * API Gateway would reject the result as malformed (the caller answers 500/502).
 * The result has already been through JSON, as it is when it leaves a real Lambda.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isRecord = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isHeaderValue = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

const isStatusCode = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599;

const jsonAnswer = (body: string): HttpAnswer => ({
  statusCode: 200,
  headers: [['content-type', 'application/json']],
  body: Buffer.from(body, 'utf8'),
});

/** Header pairs from `headers` and `multiValueHeaders`; null when either is malformed. */
const collectHeaders = (result: Record<string, Json>): Array<[string, string]> | null => {
  const headers = result.headers ?? {};
  const multiValueHeaders = result.multiValueHeaders ?? {};
  if (!isRecord(headers) || !isRecord(multiValueHeaders)) return null;
  const multiNames = new Set(Object.keys(multiValueHeaders).map((name) => name.toLowerCase()));
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!isHeaderValue(value)) return null;
    // When both maps name a header, API Gateway keeps only the multi-value list.
    if (!multiNames.has(name.toLowerCase())) pairs.push([name, String(value)]);
  }
  for (const [name, values] of Object.entries(multiValueHeaders)) {
    if (!Array.isArray(values) || !values.every(isHeaderValue)) return null;
    for (const value of values) pairs.push([name, String(value)]);
  }
  return pairs;
};

const decodeBody = (body: Json | undefined, isBase64Encoded: Json | undefined): Buffer | null => {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') return null;
  if (isBase64Encoded !== undefined && typeof isBase64Encoded !== 'boolean') return null;
  return isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
};

/**
 * Payload 2.0: a result with a `statusCode` is the structured form; any other JSON value is
 * the simplified form, sent as a 200 application/json whose body is the value (a string as is).
 * A Lambda that returned nothing is treated as a fault rather than guessed at.
 */
export const httpApiAnswer = (result: unknown): HttpAnswer | null => {
  if (result === undefined || result === null) return null;
  if (typeof result === 'string') return jsonAnswer(result);
  if (!isRecord(result) || !('statusCode' in result)) return jsonAnswer(JSON.stringify(result));

  if (!isStatusCode(result.statusCode)) return null;
  const headers = collectHeaders(result);
  const body = decodeBody(result.body, result.isBase64Encoded);
  const cookies = result.cookies ?? [];
  if (!headers || !body || !Array.isArray(cookies) || !cookies.every((cookie) => typeof cookie === 'string')) return null;
  // Each entry of `cookies` becomes its own Set-Cookie header.
  for (const cookie of cookies as string[]) headers.push(['set-cookie', cookie]);
  return { statusCode: result.statusCode, headers, body };
};

const REST_RESULT_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);

/**
 * REST proxy integration: only the documented keys are accepted (anything else is a
 * "Malformed Lambda proxy response"); Content-Type defaults to application/json.
 * A base64 body is always decoded here, as if the API listed the type in binaryMediaTypes.
 */
export const restApiAnswer = (result: unknown): HttpAnswer | null => {
  if (!isRecord(result) || !Object.keys(result).every((key) => REST_RESULT_KEYS.has(key))) return null;
  if (!isStatusCode(result.statusCode)) return null;
  const headers = collectHeaders(result);
  const body = decodeBody(result.body, result.isBase64Encoded);
  if (!headers || !body) return null;
  if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/json']);
  return { statusCode: result.statusCode, headers, body };
};

/** The JSON error bodies API Gateway itself answers with. */
export const gatewayError = (statusCode: number, message: string): HttpAnswer => ({
  statusCode,
  headers: [['content-type', 'application/json']],
  body: Buffer.from(JSON.stringify({ message }), 'utf8'),
});
