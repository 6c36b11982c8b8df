import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProviderHttp } from '../../../functions/providers/http.js';
import { parseAuthorizationHeader } from '../../../functions/providers/oauth1.js';
import { twitter } from '../../../functions/providers/twitter.js';
import { TWITTER_APP, TWITTER_TEST_TOKENS } from '../../../infra/local/emulators/twitter.js';

/**
 * X refuses a replayed OAuth nonce, so a retried verify_credentials call must be signed
 * again. A server that fails the first attempt records what each attempt carried.
 */
describe('twitter retries', () => {
  const nonces: string[] = [];
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const params = parseAuthorizationHeader(String(req.headers.authorization));
      nonces.push(String(params?.get('oauth_nonce')));
      if (nonces.length === 1) {
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end('{"errors":[{"code":130,"message":"Over capacity"}]}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 1, id_str: TWITTER_TEST_TOKENS.ada.userId, name: 'Ada', screen_name: 'ada' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/1.1/account/verify_credentials.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('signs every attempt with a fresh nonce', async () => {
    const profile = await twitter.verify(
      { accessToken: TWITTER_TEST_TOKENS.ada.token, accessTokenSecret: TWITTER_TEST_TOKENS.ada.secret },
      { ...TWITTER_APP, endpoints: { verify_credentials: url } },
      { http: createProviderHttp({ timeoutMs: 1_000 }), now: () => Date.now() },
    );
    expect(profile.provider_user_id).toBe(TWITTER_TEST_TOKENS.ada.userId);
    expect(nonces).toHaveLength(2);
    expect(nonces[0]).not.toBe(nonces[1]);
  });
});
