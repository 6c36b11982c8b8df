import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { encodeBody, httpApiSendsAsText, matchesMediaTypes } from './encoding.js';
import { formatRequestTime, shortRequestId, traceId } from './ids.js';
import type { GatewayRequest, InvocationIds, RouteTarget } from './types.js';

export interface EventOptions {
  /** Base64-encode every non-empty body (tests of the token endpoint's base64 path). */
  forceBase64: boolean;
  /** REST API binaryMediaTypes (payload 1.0 only). */
  binaryMediaTypes: readonly string[];
}

/** Hop-by-hop headers end at API Gateway's edge; the forwarding ones are rewritten there. */
const REPLACED_AT_THE_EDGE = new Set(['connection', 'keep-alive', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto']);

/** Header pairs as sent, with the ones API Gateway adds at its edge appended. */
const headerPairs = (request: GatewayRequest, now: Date): Array<[string, string]> => {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    pairs.push([request.rawHeaders[i] as string, request.rawHeaders[i + 1] as string]);
  }
  const has = (name: string) => pairs.some(([key]) => key.toLowerCase() === name);
  const forwardedFor = pairs.filter(([key]) => key.toLowerCase() === 'x-forwarded-for').map(([, value]) => value);
  const kept = pairs.filter(([key]) => !REPLACED_AT_THE_EDGE.has(key.toLowerCase()));
  // API Gateway appends the address it saw to any X-Forwarded-For the client sent.
  kept.push(['X-Forwarded-For', [...forwardedFor, request.sourceIp].join(', ')]);
  kept.push(['X-Forwarded-Port', String(request.localPort)]);
  kept.push(['X-Forwarded-Proto', 'http']);
  if (!has('x-amzn-trace-id')) kept.push(['X-Amzn-Trace-Id', traceId(now)]);
  return kept;
};

const headerValue = (request: GatewayRequest, name: string): string | undefined => {
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]?.toLowerCase() === name) return request.rawHeaders[i + 1];
  }
  return undefined;
};

const queryPairs = (rawQueryString: string): Array<[string, string]> =>
  rawQueryString === '' ? [] : [...new URLSearchParams(rawQueryString)];

const hostParts = (request: GatewayRequest) => {
  const domainName = headerValue(request, 'host') ?? `127.0.0.1:${request.localPort}`;
  const hostname = domainName.replace(/:\d+$/, '');
  return { domainName, domainPrefix: hostname.split('.')[0] ?? hostname };
};

/**
 * Payload format 2.0 (HTTP API): header names lower-cased and repeats joined with commas,
 * cookies moved out of the headers into `cookies`, repeated query parameters joined with commas,
 * `body` absent when empty. rawPath keeps the stage prefix of a named stage.
 */
export const buildHttpApiEvent = (
  request: GatewayRequest,
  target: RouteTarget,
  ids: InvocationIds,
  options: EventOptions,
): APIGatewayProxyEventV2 => {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of headerPairs(request, ids.now)) {
    const key = name.toLowerCase();
    if (key === 'cookie') {
      cookies.push(...value.split(';').map((cookie) => cookie.trim()).filter(Boolean));
      continue;
    }
    headers[key] = key in headers ? `${headers[key]},${value}` : value;
  }

  const query: Record<string, string> = {};
  for (const [name, value] of queryPairs(request.rawQueryString)) {
    query[name] = name in query ? `${query[name]},${value}` : value;
  }

  const routeKey = `${target.route.method.toUpperCase()} ${target.route.path}`;
  const encoded = encodeBody(request.body, options.forceBase64 || !httpApiSendsAsText(headers['content-type']));
  const { domainName, domainPrefix } = hostParts(request);

  return {
    version: '2.0',
    routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(request.rawQueryString !== '' ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ids.accountId,
      apiId: ids.apiId,
      domainName,
      domainPrefix,
      http: {
        method: request.method,
        path: request.rawPath,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: ids.requestId,
      routeKey,
      stage: target.stage,
      time: formatRequestTime(ids.now),
      timeEpoch: ids.now.getTime(),
    },
    ...(encoded.body !== null ? { body: encoded.body } : {}),
    isBase64Encoded: encoded.isBase64Encoded,
  };
};

/**
 * REST API proxy integration (payload 1.0): header names as sent, single-value maps keep the
 * last value and the multi-value maps keep them all; `path` is the resource path without the
 * stage, `requestContext.path` has it.
 */
export const buildRestApiEvent = (
  request: GatewayRequest,
  target: RouteTarget,
  ids: InvocationIds,
  options: EventOptions,
): APIGatewayProxyEvent => {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const spelling = new Map<string, string>();
  for (const [name, value] of headerPairs(request, ids.now)) {
    const key = spelling.get(name.toLowerCase()) ?? name;
    spelling.set(name.toLowerCase(), key);
    headers[key] = value;
    (multiValueHeaders[key] ??= []).push(value);
  }

  const pairs = queryPairs(request.rawQueryString);
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of pairs) {
    query[name] = value;
    (multiValueQuery[name] ??= []).push(value);
  }

  const contentType = headerValue(request, 'content-type');
  const encoded = encodeBody(request.body, options.forceBase64 || matchesMediaTypes(contentType, options.binaryMediaTypes));
  const { domainName, domainPrefix } = hostParts(request);
  const userAgent = headerValue(request, 'user-agent') ?? null;

  return {
    resource: target.route.path,
    path: target.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: pairs.length > 0 ? query : null,
    multiValueQueryStringParameters: pairs.length > 0 ? multiValueQuery : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: ids.accountId,
      apiId: ids.apiId,
      authorizer: undefined,
      domainName,
      domainPrefix,
      extendedRequestId: shortRequestId(),
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path: request.rawPath,
      protocol: request.protocol,
      requestId: ids.requestId,
      requestTime: formatRequestTime(ids.now),
      requestTimeEpoch: ids.now.getTime(),
      resourceId: resourceIdOf(target.route.path),
      resourcePath: target.route.path,
      stage: target.stage,
    },
    body: encoded.body,
    isBase64Encoded: encoded.isBase64Encoded,
  };
};

/** REST resources have a stable six-character id; one per path for the server's lifetime. */
const resourceIds = new Map<string, string>();
const resourceIdOf = (path: string): string => {
  let id = resourceIds.get(path);
  if (!id) {
    id = randomBytes(4).toString('hex').slice(0, 6);
    resourceIds.set(path, id);
  }
  return id;
};
