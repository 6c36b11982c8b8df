import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_ACCESS_TOKEN_GRANT } from '../../functions/core/errors.js';
import { FACEBOOK_TEST_TOKENS, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { startTestStack } from '../support/stack.js';
import { postOAuthToken, TOKEN_EXCHANGE } from '../support/oauth-token.js';

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

// POST /oauth/token's grant dispatch (DESIGN section 9), through the local stack's HTTP route.
describe('POST /oauth/token grant dispatch', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.stop());

  const exchange = (extra: Record<string, unknown> = {}) => ({
    grant_type: TOKEN_EXCHANGE,
    client_id: 'my-app',
    subject_token: FACEBOOK_TEST_TOKENS.alice,
    subject_token_type: ACCESS_TOKEN_TYPE,
    connection: 'facebook',
    ...extra,
  });

  it.each(['json', 'form'] as const)('exchanges a provider access token (%s)', async (encoding) => {
    const { status, headers, body } = await postOAuthToken(stack, exchange({ scope: 'openid profile' }), encoding);
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('pragma')).toBe('no-cache');
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: 86_400,
      scope: 'openid profile',
      id_token: expect.any(String),
    });
    const claims = JSON.parse(Buffer.from((body.id_token as string).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: `facebook|${FACEBOOK_USERS.alice.id}`, aud: 'my-app', iss: stack.issuer });
  });

  it.each([
    [{}, 400, 'invalid_request', 'missing grant_type parameter'],
    [{ grant_type: '' }, 400, 'invalid_request', 'missing grant_type parameter'],
    [{ grant_type: 'password', client_id: 'nobody' }, 400, 'unsupported_grant_type', 'Unsupported grant type: password'],
    [{ grant_type: LEGACY_ACCESS_TOKEN_GRANT }, 400, 'unsupported_grant_type', `Unsupported grant type: ${LEGACY_ACCESS_TOKEN_GRANT}`],
    [{ grant_type: 'refresh_token', client_id: 'my-app', refresh_token: 'x' }, 400, 'invalid_grant', 'invalid refresh_token'],
    [{ grant_type: TOKEN_EXCHANGE }, 400, 'invalid_request', 'missing client_id parameter'],
    [{ grant_type: TOKEN_EXCHANGE, client_id: 'my-app' }, 400, 'invalid_request', 'missing subject_token parameter'],
    [{ grant_type: TOKEN_EXCHANGE, client_id: 'my-app', subject_token: 't' }, 400, 'invalid_request', 'missing subject_token_type parameter'],
    [exchange({ client_id: 'nobody' }), 401, 'invalid_client', 'invalid client'],
    [exchange({ client_id: 'app-without-legacy-grant' }), 400, 'unauthorized_client', `Grant type '${TOKEN_EXCHANGE}' not allowed for the client.`],
  ])('%j → %i %s', async (fields, status, error, description) => {
    for (const encoding of ['json', 'form'] as const) {
      const call = await postOAuthToken(stack, fields, encoding);
      expect({ status: call.status, body: call.body }).toEqual({ status, body: { error, error_description: description } });
    }
  });
});
