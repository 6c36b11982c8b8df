import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, startApiGateway, type ApiGatewayHandle, type ApiRoute } from '../../infra/local/api-gateway.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: () => any;
}

/** node:http rather than fetch: it can send repeated header lines and keeps Set-Cookie apart. */
const call = (
  base: string,
  path: string,
  init: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string; agent?: Agent } = {},
): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const req = request(
      new URL(base + path),
      { method: init.method ?? 'GET', headers: init.headers, agent: init.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });

const echo: ApiRoute['handler'] = async (event: unknown) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(event),
});

/** Decodes an echoed event's body back to bytes. */
const bodyBytes = (event: { body?: string | null; isBase64Encoded: boolean }) =>
  event.body == null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

const SECRET = 'EAAB-very-secret-provider-token';
const REQUEST_TIME = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;
const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);

describe('API Gateway emulation, HTTP API (payload 2.0)', () => {
  let api: ApiGatewayHandle;
  let forced: ApiGatewayHandle;
  const logs: string[] = [];
  let seenContext: Context | undefined;

  beforeAll(async () => {
    const routes: ApiRoute[] = [
      { method: 'POST', path: '/echo', handler: echo },
      { method: 'GET', path: '/echo', handler: echo },
      { method: 'ANY', path: '/any', handler: echo },
      { method: 'DELETE', path: '/any', handler: async () => ({ statusCode: 200, body: 'explicit DELETE route' }) },
      {
        method: 'POST',
        path: '/length',
        handler: async (event: APIGatewayProxyEventV2) => ({ statusCode: 200, body: String(bodyBytes(event).length) }),
      },
      {
        method: 'GET',
        path: '/context',
        functionName: 'token-fn',
        timeoutMs: 10_000,
        handler: async (_event: APIGatewayProxyEventV2, context: Context) => {
          seenContext = context;
          return { remaining: context.getRemainingTimeInMillis() };
        },
      },
      {
        method: 'GET',
        path: '/structured',
        handler: async () => ({
          statusCode: 201,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-one': 1, 'x-both': 'from headers' },
          multiValueHeaders: { 'x-multi': ['a', 'b'], 'x-both': ['from multi'] },
          cookies: ['session=abc; Path=/; HttpOnly', 'theme=dark'],
          body: 'created',
        }),
      },
      {
        method: 'GET',
        path: '/binary',
        handler: async () => ({
          statusCode: 200,
          headers: { 'content-type': 'image/png' },
          body: PNG_BYTES.toString('base64'),
          isBase64Encoded: true,
        }),
      },
      { method: 'GET', path: '/simple-object', handler: async () => ({ hello: 'world', n: [1, 2] }) },
      { method: 'GET', path: '/simple-string', handler: async () => 'plain words' },
      {
        method: 'GET',
        path: '/callback',
        handler: (_event: unknown, _context: Context, callback: (error?: unknown, result?: unknown) => void) => {
          setTimeout(() => callback(null, { statusCode: 202, body: 'from a callback' }), 5);
        },
      },
      {
        method: 'POST',
        path: '/throws',
        handler: async (event: APIGatewayProxyEventV2) => {
          throw new Error(`provider rejected ${bodyBytes(event).toString('utf8')}`);
        },
      },
      { method: 'GET', path: '/garbage', handler: async () => ({ statusCode: 'two hundred', body: 'x' }) },
      { method: 'GET', path: '/body-object', handler: async () => ({ statusCode: 200, body: { not: 'a string' } }) },
      { method: 'GET', path: '/nothing', handler: async () => undefined },
      {
        method: 'GET',
        path: '/slow',
        timeoutMs: 50,
        handler: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 300)),
      },
    ];
    [api, forced] = await Promise.all([
      startApiGateway({ routes, log: (line) => logs.push(line) }),
      startApiGateway({ routes, stage: 'dev', forceBase64: true, log: (line) => logs.push(line) }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([api?.close(), forced?.close()]);
  });

  it('listens on loopback and answers at the root for the $default stage', () => {
    expect(api.url).toBe(`http://127.0.0.1:${api.port}`);
    expect(forced.url).toBe(`http://127.0.0.1:${forced.port}/dev`);
  });

  it('builds an APIGatewayProxyEventV2 like an HTTP API', async () => {
    // Act
    const reply = await call(api.url, '/echo?b=2&a=1&a=3&empty=&sp=x+y%20z', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'test-agent/1.0',
        'X-Custom': ['one', 'two'],
        Cookie: 'c1=v1; c2=v2',
      },
      body: '{"x":1}',
    });
    const event = reply.json() as APIGatewayProxyEventV2;

    // Assess
    expect(reply.status).toBe(200);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /echo',
      rawPath: '/echo',
      rawQueryString: 'b=2&a=1&a=3&empty=&sp=x+y%20z',
      cookies: ['c1=v1', 'c2=v2'],
      queryStringParameters: { b: '2', a: '1,3', empty: '', sp: 'x y z' },
      body: '{"x":1}',
      isBase64Encoded: false,
      requestContext: {
        accountId: expect.stringMatching(/^\d{12}$/),
        apiId: expect.stringMatching(/^[a-z0-9]{10}$/),
        domainName: `127.0.0.1:${api.port}`,
        http: { method: 'POST', path: '/echo', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test-agent/1.0' },
        requestId: expect.any(String),
        routeKey: 'POST /echo',
        stage: '$default',
        time: expect.stringMatching(REQUEST_TIME),
      },
    });
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5_000);
    expect(event.headers).toMatchObject({
      'content-type': 'application/json',
      'x-custom': 'one,two',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-port': String(api.port),
      'x-forwarded-proto': 'http',
      'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    });
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers.connection).toBeUndefined();
    expect(event).not.toHaveProperty('pathParameters');
    expect(reply.headers['apigw-requestid']).toBe(event.requestContext.requestId);
  });

  it('omits body, cookies and queryStringParameters when the request has none', async () => {
    const event = (await call(api.url, '/echo')).json() as APIGatewayProxyEventV2;
    expect(event.rawQueryString).toBe('');
    expect(event.isBase64Encoded).toBe(false);
    for (const field of ['body', 'cookies', 'queryStringParameters']) expect(event).not.toHaveProperty(field);
  });

  it.each([
    ['text/plain; charset=utf-8', false, Buffer.from('héllo wörld', 'utf8')],
    ['application/json', false, Buffer.from('{"client_id":"app"}')],
    ['application/xml', false, Buffer.from('<a/>')],
    ['application/x-www-form-urlencoded', true, Buffer.from('client_id=app&connection=facebook')],
    ['application/octet-stream', true, PNG_BYTES],
    ['image/png', true, PNG_BYTES],
    [undefined, true, Buffer.from('no content type')],
  ])('hands a %s body over with isBase64Encoded=%s', async (contentType, base64, bytes) => {
    const headers = contentType ? { 'content-type': contentType } : {};
    const event = (await call(api.url, '/echo', { method: 'POST', headers, body: bytes })).json() as APIGatewayProxyEventV2;
    expect(event.isBase64Encoded).toBe(base64);
    expect(bodyBytes(event).equals(bytes)).toBe(true);
    if (!base64) expect(event.body).toBe(bytes.toString('utf8'));
  });

  it('base64-encodes every body when forced, and keeps a named stage in rawPath but not in routeKey', async () => {
    // Act
    const json = '{"client_id":"app","access_token":"t"}';
    const event = (
      await call(forced.url, '/echo?x=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: json })
    ).json() as APIGatewayProxyEventV2;

    // Assess
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64').toString('utf8')).toBe(json);
    expect(event).toMatchObject({
      rawPath: '/dev/echo',
      routeKey: 'POST /echo',
      requestContext: { stage: 'dev', http: { path: '/dev/echo' } },
    });
    expect((await call(`http://127.0.0.1:${forced.port}`, '/echo', { method: 'POST' })).status).toBe(404);
  });

  it('gives the handler a Lambda context', async () => {
    const reply = await call(api.url, '/context');
    expect(reply.json().remaining).toBeGreaterThan(9_000);
    expect(reply.json().remaining).toBeLessThanOrEqual(10_000);
    expect(seenContext).toMatchObject({
      functionName: 'token-fn',
      functionVersion: '$LATEST',
      invokedFunctionArn: expect.stringMatching(/^arn:aws:lambda:us-east-1:\d{12}:function:token-fn$/),
      awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      logGroupName: '/aws/lambda/token-fn',
      memoryLimitInMB: expect.any(String),
    });
  });

  it('maps a structured response: status, headers, multiValueHeaders, cookies', async () => {
    const reply = await call(api.url, '/structured');
    expect(reply.status).toBe(201);
    expect(reply.text).toBe('created');
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.headers['x-one']).toBe('1');
    expect(reply.headers['x-multi']).toBe('a, b');
    expect(reply.headers['x-both']).toBe('from multi');
    expect(reply.headers['set-cookie']).toEqual(['session=abc; Path=/; HttpOnly', 'theme=dark']);
  });

  it('decodes a base64 response body to bytes', async () => {
    const reply = await call(api.url, '/binary');
    expect(reply.headers['content-type']).toBe('image/png');
    expect(reply.body.equals(PNG_BYTES)).toBe(true);
  });

  it.each([
    ['/simple-object', '{"hello":"world","n":[1,2]}'],
    ['/simple-string', 'plain words'],
  ])('answers a simplified response from %s as 200 application/json', async (path, body) => {
    const reply = await call(api.url, path);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.text).toBe(body);
  });

  it('settles callback-style handlers', async () => {
    const reply = await call(api.url, '/callback');
    expect([reply.status, reply.text]).toEqual([202, 'from a callback']);
  });

  it('answers 500 when a handler throws, and logs one line without the request data or error message', async () => {
    // Prepare
    logs.length = 0;

    // Act
    const reply = await call(api.url, `/throws?access_token=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${SECRET}`,
    });

    // Assess
    expect(reply.status).toBe(500);
    expect(reply.json()).toEqual({ message: 'Internal Server Error' });
    expect(reply.text).not.toContain(SECRET);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^\[api-gateway\] POST \/throws \(request \S+\): handler threw Error$/);
  });

  it.each([
    ['/garbage', 'returned a malformed response'],
    ['/body-object', 'returned a malformed response'],
    ['/nothing', 'returned a malformed response'],
    ['/slow', 'timed out after 50 ms'],
  ])('answers 500 when %s misbehaves', async (path, note) => {
    logs.length = 0;
    const reply = await call(api.url, path);
    expect(reply.status).toBe(500);
    expect(reply.json()).toEqual({ message: 'Internal Server Error' });
    expect(logs).toEqual([expect.stringContaining(`handler ${note}`)]);
  });

  it.each([
    ['GET', '/nowhere'],
    ['PUT', '/echo'],
    ['GET', '/echo/'],
    ['GET', '/ECHO'],
  ])('answers 404 Not Found for %s %s', async (method, path) => {
    const reply = await call(api.url, path, { method });
    expect(reply.status).toBe(404);
    expect(reply.json()).toEqual({ message: 'Not Found' });
  });

  it('routes any method to an ANY route, after the explicit ones', async () => {
    const put = (await call(api.url, '/any', { method: 'PUT', body: 'x' })).json() as APIGatewayProxyEventV2;
    expect(put.routeKey).toBe('ANY /any');
    expect(put.requestContext.http.method).toBe('PUT');
    expect((await call(api.url, '/any', { method: 'DELETE' })).text).toBe('explicit DELETE route');
  });

  it('accepts a body of exactly 10 MiB and refuses a larger one with 413', async () => {
    const exact = await call(api.url, '/length', { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES, 1) });
    expect([exact.status, exact.text]).toEqual([200, String(MAX_BODY_BYTES)]);

    const tooLarge = await call(api.url, '/length', { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES + 1, 1) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json()).toEqual({ message: 'Request Entity Too Large' });
  });
});

describe('API Gateway emulation, REST API (payload 1.0)', () => {
  let api: ApiGatewayHandle;
  const logs: string[] = [];

  beforeAll(async () => {
    api = await startApiGateway({
      payloadVersion: '1.0',
      binaryMediaTypes: ['image/*'],
      log: (line) => logs.push(line),
      routes: [
        { method: 'POST', path: '/echo', handler: echo },
        { method: 'GET', path: '/echo', handler: echo },
        {
          method: 'GET',
          path: '/structured',
          handler: async () => ({
            statusCode: 200,
            headers: { 'X-Single': 'one', 'X-Both': 'from headers' },
            multiValueHeaders: { 'X-Both': ['from multi 1', 'from multi 2'] },
            body: PNG_BYTES.toString('base64'),
            isBase64Encoded: true,
          }),
        },
        { method: 'GET', path: '/extra-key', handler: async () => ({ statusCode: 200, body: 'x', cookies: ['a=b'] }) },
        { method: 'GET', path: '/simplified', handler: async () => ({ hello: 'world' }) },
        {
          method: 'POST',
          path: '/throws',
          handler: async () => {
            throw new TypeError(`cannot read ${SECRET}`);
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('serves under the stage prefix (prod by default)', async () => {
    expect(api.url).toBe(`http://127.0.0.1:${api.port}/prod`);
    expect((await call(`http://127.0.0.1:${api.port}`, '/echo')).status).toBe(404);
  });

  it('builds an APIGatewayProxyEvent like a REST API', async () => {
    // Act
    const reply = await call(api.url, '/echo?a=1&b=2&a=3', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'test-agent/1.0', 'X-Custom': ['one', 'two'], Cookie: 'c1=v1' },
      body: '{"x":1}',
    });
    const event = reply.json() as APIGatewayProxyEvent;

    // Assess
    expect(event).toMatchObject({
      resource: '/echo',
      path: '/echo',
      httpMethod: 'POST',
      queryStringParameters: { a: '3', b: '2' },
      multiValueQueryStringParameters: { a: ['1', '3'], b: ['2'] },
      pathParameters: null,
      stageVariables: null,
      body: '{"x":1}',
      isBase64Encoded: false,
      requestContext: {
        accountId: expect.stringMatching(/^\d{12}$/),
        apiId: expect.stringMatching(/^[a-z0-9]{10}$/),
        httpMethod: 'POST',
        identity: { sourceIp: '127.0.0.1', userAgent: 'test-agent/1.0', user: null, cognitoIdentityId: null },
        path: '/prod/echo',
        protocol: 'HTTP/1.1',
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        requestTime: expect.stringMatching(REQUEST_TIME),
        resourcePath: '/echo',
        stage: 'prod',
      },
    });
    expect(event.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Custom': 'two',
      Cookie: 'c1=v1',
      'X-Forwarded-For': '127.0.0.1',
      'X-Forwarded-Proto': 'http',
    });
    expect(event.multiValueHeaders['X-Custom']).toEqual(['one', 'two']);
    expect(event).not.toHaveProperty('version');
    expect(reply.headers['x-amzn-requestid']).toBe(event.requestContext.requestId);
  });

  it('uses null for an empty body and a missing query', async () => {
    const event = (await call(api.url, '/echo')).json() as APIGatewayProxyEvent;
    expect([event.body, event.isBase64Encoded]).toEqual([null, false]);
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
  });

  it.each([
    ['image/png', true, PNG_BYTES],
    ['application/x-www-form-urlencoded', false, Buffer.from('client_id=app')],
    ['application/json', false, Buffer.from('{}')],
  ])('hands a %s body over with isBase64Encoded=%s (binaryMediaTypes: image/*)', async (contentType, base64, bytes) => {
    const event = (await call(api.url, '/echo', { method: 'POST', headers: { 'content-type': contentType }, body: bytes })).json();
    expect(event.isBase64Encoded).toBe(base64);
    expect(bodyBytes(event).equals(bytes)).toBe(true);
  });

  it('merges headers and multiValueHeaders (the multi-value list wins) and decodes base64 bodies', async () => {
    const reply = await call(api.url, '/structured');
    expect(reply.status).toBe(200);
    expect(reply.headers['x-single']).toBe('one');
    expect(reply.headers['x-both']).toBe('from multi 1, from multi 2');
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.body.equals(PNG_BYTES)).toBe(true);
  });

  it.each([
    ['GET', '/extra-key', 'returned a malformed response'],
    ['GET', '/simplified', 'returned a malformed response'],
    ['POST', '/throws', 'threw TypeError'],
  ])('answers 502 Internal server error for %s %s, as REST APIs do', async (method, path, note) => {
    logs.length = 0;
    const reply = await call(api.url, path, method === 'POST' ? { method, body: SECRET } : { method });
    expect(reply.status).toBe(502);
    expect(reply.json()).toEqual({ message: 'Internal server error' });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(`handler ${note}`);
    expect(logs[0]).not.toContain(SECRET);
  });
});

describe('API Gateway emulation, lifecycle', () => {
  it('close() ends kept-alive connections and stops listening', async () => {
    // Prepare
    const api = await startApiGateway({ routes: [{ method: 'GET', path: '/ping', handler: async () => 'pong' }] });
    const agent = new Agent({ keepAlive: true });
    expect((await call(api.url, '/ping', { agent })).text).toBe('pong');

    // Act
    const started = Date.now();
    await api.close();

    // Assess
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(call(api.url, '/ping')).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
  });
});
