import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProviderVerifier } from '../../../functions/providers/verifier.js';
import { WEIBO_APP, WEIBO_TEST_TOKENS } from '../../../infra/local/emulators/weibo.js';

/** A provider that answers every attempt slowly with a 503: retries must not outlive the deadline. */
describe('the verification deadline', () => {
  let server: Server;
  let base: string;
  let calls = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      calls += 1;
      setTimeout(() => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":"busy","error_code":10009}');
      }, 250);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers 503 at the deadline even while retries are pending', async () => {
    const verifier = createProviderVerifier({ timeoutMs: 1_000, deadlineMs: 400 });
    const started = Date.now();
    await expect(
      verifier.verify(
        { name: 'weibo', strategy: 'weibo', options: { ...WEIBO_APP, endpoints: { get_token_info: `${base}/oauth2/get_token_info`, users_show: `${base}/2/users/show.json` } } },
        { accessToken: WEIBO_TEST_TOKENS.lin.token },
      ),
    ).rejects.toMatchObject({ status: 503, reason: 'provider_timeout' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(700); // three slow attempts would take 750 ms and more
    expect(calls).toBeLessThan(3);
  });
});
