import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../functions/core/logger.js';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { startApiGateway, type ApiGatewayHandle } from '../../infra/local/api-gateway.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { startTestStack } from '../support/stack.js';

/**
 * Issue 14, observability: the real token entry point (functions/token/handler.ts), behind
 * the API Gateway emulation that hands it an HTTP API event and a Lambda context. Every line
 * it writes for one request (the audit event and the EMF metrics record) must name the
 * Lambda request id, the API Gateway request id, the trace id, the service and cold_start.
 */
describe('log lines of the token function carry the request ids', () => {
  let stack: LocalStack;
  let gateway: ApiGatewayHandle;
  const lines: string[] = [];
  let restoreSink: ((line: string) => void) | undefined;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    stack = await startTestStack();
    // The environment the stack would give the deployed function, as the handler reads it.
    Object.assign(process.env, stack.environment, { LOG_LEVEL: 'info', POWERTOOLS_SERVICE_NAME: 'token-exchange-under-test' });
    delete process.env._X_AMZN_TRACE_ID;
    const { handler } = await import('../../functions/token/handler.js');
    gateway = await startApiGateway({ port: 0, routes: [{ method: 'POST', path: '/oauth/access_token', handler }], log: () => undefined });
    restoreSink = setLogSink((line) => lines.push(line));
  });
  afterAll(async () => {
    if (restoreSink) setLogSink(restoreSink);
    process.env = savedEnv;
    await gateway?.close();
    await stack?.stop();
  });

  const exchange = async (traceRoot: string) => {
    lines.length = 0;
    const response = await fetch(`${gateway.url}/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-amzn-trace-id': `Root=${traceRoot};Sampled=1` },
      body: JSON.stringify({ client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice }),
    });
    await response.text();
    return { response, records: lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
  };

  it('finds the Lambda, API Gateway and trace ids, the service and cold_start on every line of one request', async () => {
    const traceRoot = '1-5759e988-bd862e3fe1be46a994272793';
    const { response, records } = await exchange(traceRoot);
    expect(response.status).toBe(200);
    const apiGatewayRequestId = response.headers.get('apigw-requestid');
    expect(apiGatewayRequestId).toBeTruthy();

    // The audit event and the metrics record at least.
    expect(records.some((record) => record.message === 'token_exchange')).toBe(true);
    expect(records.some((record) => '_aws' in record)).toBe(true);
    const lambdaRequestIds = new Set(records.map((record) => record.function_request_id));
    expect(lambdaRequestIds.size).toBe(1);
    const [lambdaRequestId] = lambdaRequestIds;
    expect(lambdaRequestId).toMatch(/^[0-9a-f-]{36}$/);
    for (const record of records) {
      expect(record).toMatchObject({
        service: 'token-exchange-under-test',
        cold_start: true,
        function_request_id: lambdaRequestId,
        correlation_id: apiGatewayRequestId,
        xray_trace_id: traceRoot,
      });
    }
  });

  it('tells the next request of the same container apart: new ids, cold_start false', async () => {
    const { records } = await exchange('1-5759e988-000000000000000000000001');
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record).toMatchObject({ cold_start: false, xray_trace_id: '1-5759e988-000000000000000000000001' });
      expect(typeof record.function_request_id).toBe('string');
    }
  });

  it('prefers the trace id Lambda sets under active tracing, and logs no id a client shaped to inject', async () => {
    process.env._X_AMZN_TRACE_ID = 'Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1';
    try {
      const { records } = await exchange('1-5759e988-000000000000000000000002');
      expect(records.length).toBeGreaterThan(0);
      for (const record of records) expect(record.xray_trace_id).toBe('1-67891233-abcdef012345678912345678');
    } finally {
      delete process.env._X_AMZN_TRACE_ID;
    }
    const { records } = await exchange('1-0000" "injected":"x');
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(record.xray_trace_id).toBeUndefined();
  });
});
