import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProviderHttp } from '../../functions/providers/http.js';
import { google } from '../../functions/providers/google.js';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_APP } from '../../infra/local/emulators/google.js';
import { WEIBO_TEST_TOKENS } from '../../infra/local/emulators/weibo.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

/** Provider answers that blame the provider, not the token, must not log users out. */
describe('provider-side failures reported as 4xx', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.stop());

  it.each([
    ['debug_token and me', undefined],
    ['one call', 1],
  ])('Facebook rate limiting (code 4, HTTP 400) on %s → 503', async (_name, times) => {
    const body = JSON.stringify({ error: { message: '(#4) Application request limit reached', type: 'OAuthException', code: 4, is_transient: true, fbtrace_id: 'A1' } });
    stack.emulators.facebook.setFault({ kind: 'status', status: 400, body }, times);
    try {
      const response = await postToken(stack, { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice });
      expect(response.status).toBe(503);
    } finally {
      stack.emulators.facebook.setFault(null);
    }
  });

  it('Weibo system error (error_code 10001) → 503', async () => {
    const body = JSON.stringify({ error: 'system error!', error_code: 10001, request: '/oauth2/get_token_info' });
    stack.emulators.weibo.setFault({ kind: 'status', status: 400, body });
    try {
      const response = await postToken(stack, { client_id: 'my-app', connection: 'weibo', access_token: WEIBO_TEST_TOKENS.lin.token });
      expect(response.status).toBe(503);
    } finally {
      stack.emulators.weibo.setFault(null);
    }
  });
});

describe('configured endpoint URLs', () => {
  const seen: string[] = [];
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":"invalid_token","error_description":"Invalid Value"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("keep their own query string (a proxy's key) next to the call's parameters", async () => {
    await expect(
      google.verify(
        { accessToken: 'some-token' },
        { client_id: GOOGLE_APP.client_id, client_secret: 'x', endpoints: { tokeninfo: `${base}/tokeninfo?proxy_key=k1`, userinfo: `${base}/v1/userinfo?proxy_key=k2` } },
        { http: createProviderHttp({ timeoutMs: 1_000 }), now: () => Date.now() },
      ),
    ).rejects.toMatchObject({ status: 401 });
    const tokeninfo = seen.find((url) => url.startsWith('/tokeninfo'))!;
    expect(new URL(tokeninfo, base).searchParams.get('proxy_key')).toBe('k1');
    expect(new URL(tokeninfo, base).searchParams.get('access_token')).toBe('some-token');
    expect(seen.find((url) => url.startsWith('/v1/userinfo'))).toBe('/v1/userinfo?proxy_key=k2');
  });
});
