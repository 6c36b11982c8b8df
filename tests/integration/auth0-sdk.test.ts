import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationClient, AuthApiError } from 'auth0';
import type { LocalStack } from '../../infra/local/stack.js';
import { startTestStack } from '../support/stack.js';

// The unmodified Auth0 Node SDK v4 against the local stack: a client written for Auth0's
// /oauth/token works against ours. Auth0 builds `https://<domain>`; the only adaptation is
// its documented `fetch` option, which sends the request to the loopback HTTP listener.
describe('auth0 AuthenticationClient.tokenExchange.exchangeToken', () => {
  let stack: LocalStack;
  let auth0: AuthenticationClient;
  beforeAll(async () => {
    stack = await startTestStack();
    auth0 = new AuthenticationClient({
      domain: new URL(stack.url).host,
      clientId: 'my-app',
      // The SDK refuses to send a token exchange without a client credential. Our clients
      // are public (discovery: token_endpoint_auth_methods_supported ["none"]) and the
      // endpoint ignores unknown fields, so this value is sent and disregarded.
      clientSecret: 'public-client-no-secret',
      telemetry: false,
      fetch: (url, init) => fetch(String(url).replace(/^https:/, 'http:'), init),
    });
  });
  afterAll(() => stack?.stop());

  it('exchanges a Google ID token', async () => {
    const tokens = await auth0.tokenExchange.exchangeToken({
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      subject_token: stack.emulators.google.idTokens.mint({ raw_nonce: 'sdk-nonce' }),
      // The SDK's type requires an audience; empty means none (we issue only our own token).
      audience: '',
      scope: 'openid profile email',
      nonce: 'sdk-nonce',
    });
    expect(tokens).toMatchObject({
      access_token: expect.any(String),
      id_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 86_400,
      scope: 'openid profile email',
    });
  });

  it('surfaces our OAuth errors as AuthApiError', async () => {
    const failure = await auth0.tokenExchange
      .exchangeToken({ subject_token_type: 'urn:ietf:params:oauth:token-type:id_token', subject_token: 'not-a-jwt', audience: '' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AuthApiError);
    expect(failure).toMatchObject({ error: 'invalid_grant', error_description: 'invalid subject_token', statusCode: 400 });
  });
});
