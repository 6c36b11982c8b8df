import { AuthenticationClient } from 'auth0';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

/**
 * The unmodified Auth0 Node SDK v4 against the local stack: `oauth.refreshTokenGrant` and
 * `oauth.revokeRefreshToken` speak to POST /oauth/token and POST /oauth/revoke.
 *
 * Two accommodations, both on the SDK's public options, none in its code: it only knows
 * `https://<domain>`, so its `fetch` option sends the same request to the local stack's
 * http URL; and it refuses to send a request without client authentication, so it is given
 * a client secret, which our public-client endpoints ignore as an unknown field. The SDK
 * validates any id_token against `https://<domain>/` as issuer, which the local http
 * issuer cannot be, so the refresh narrows the scope to leave `openid` out.
 */
describe('Auth0 Node SDK v4 against the local stack', () => {
  let stack: LocalStack;
  let auth0: AuthenticationClient;

  beforeAll(async () => {
    stack = await startTestStack();
    const local = new URL(stack.url);
    auth0 = new AuthenticationClient({
      domain: local.host,
      clientId: 'my-app',
      clientSecret: 'ignored-by-public-client-endpoints',
      telemetry: false,
      fetch: (input: string | URL | Request, init?: RequestInit) =>
        fetch(String(input instanceof Request ? input.url : input).replace(/^https:/, 'http:'), init),
    });
  });
  afterAll(() => stack?.stop());

  it('refreshes with rotation, then revokes the family', async () => {
    const login = await postToken(stack, {
      client_id: 'my-app',
      connection: 'facebook',
      access_token: FACEBOOK_TEST_TOKENS.alice,
      scope: 'openid profile offline_access',
    });
    expect(login.status).toBe(200);

    const refreshed = await auth0.oauth.refreshTokenGrant({ refresh_token: login.body.refresh_token as string, scope: 'profile offline_access' });
    expect(refreshed.status).toBe(200);
    expect(refreshed.data).toMatchObject({ token_type: 'Bearer', expires_in: 86_400, scope: 'profile offline_access' });
    expect(refreshed.data.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(refreshed.data.refresh_token).not.toBe(login.body.refresh_token);

    const me = await fetch(`${stack.url}/userinfo`, { headers: { authorization: `Bearer ${refreshed.data.access_token}` } });
    expect(me.status).toBe(200);

    const revoked = await auth0.oauth.revokeRefreshToken({ token: refreshed.data.refresh_token! });
    expect(revoked.status).toBe(200);

    // The SDK surfaces the refusal of the revoked family as Auth0's error shape.
    await expect(auth0.oauth.refreshTokenGrant({ refresh_token: refreshed.data.refresh_token!, scope: 'profile' })).rejects.toMatchObject({
      statusCode: 400,
      error: 'invalid_grant',
      error_description: 'invalid refresh_token',
    });
    const after = await fetch(`${stack.url}/userinfo`, { headers: { authorization: `Bearer ${refreshed.data.access_token}` } });
    expect(after.status).toBe(401);
  });
});
