import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * An HTTP API (payload 2.0) event shaped like the ones API Gateway hands the token
 * function: lower-cased headers including the ones the edge adds, a full requestContext,
 * and a JSON body. Benchmarks parse this, so its size and shape should be realistic.
 */
export const tokenExchangeEvent = (fields: Record<string, string>, host = 'abc123def4.execute-api.eu-west-1.amazonaws.com'): APIGatewayProxyEventV2 => {
  const body = JSON.stringify(fields);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: 'POST /oauth/access_token',
    rawPath: '/oauth/access_token',
    rawQueryString: '',
    headers: {
      accept: 'application/json',
      'accept-encoding': 'gzip',
      'content-length': String(Buffer.byteLength(body)),
      'content-type': 'application/json; charset=utf-8',
      host,
      'user-agent': 'okhttp/4.12.0',
      'x-amzn-trace-id': `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
      'x-forwarded-for': '203.0.113.42',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: host.split('.')[0] ?? 'api',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? 'api',
      http: {
        method: 'POST',
        path: '/oauth/access_token',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.42',
        userAgent: 'okhttp/4.12.0',
      },
      requestId: randomBytes(11).toString('base64'),
      routeKey: 'POST /oauth/access_token',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
};
