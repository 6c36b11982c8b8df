import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUsersCli } from '../../infra/local/users-cli.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { startTestStack } from '../support/stack.js';
import { postOAuthToken, TOKEN_EXCHANGE } from '../support/oauth-token.js';

// DESIGN section 10: Apple's refresh token is kept with the identity so that deleting the
// user revokes it at Apple (POST revoke with a fresh client secret the emulator verifies).
describe('npm run users -- delete revokes Apple refresh tokens', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.stop());

  it('revokes exactly the refresh token Apple gave for the code, and says so', async () => {
    const apple = stack.emulators.apple;
    const sub = '007777.revocation00000000000000000000000.7777';
    const call = await postOAuthToken(stack, {
      grant_type: TOKEN_EXCHANGE,
      client_id: 'my-app',
      subject_token_type: 'http://auth0.com/oauth/token-type/apple-authz-code',
      subject_token: apple.mintCode({ sub }),
    });
    expect(call.status).toBe(200);
    const [granted] = [...apple.refreshTokens];
    expect(granted).toBeDefined();

    const stdout: string[] = [];
    const stderr: string[] = [];
    const target = ['--table', stack.tableName, '--endpoint', stack.dynamoEndpoint, '--region', 'us-east-1', '--kms-endpoint', stack.kmsEndpoint];
    const code = await runUsersCli(['delete', `apple|${sub}`, '--yes', ...target], (line) => stdout.push(line), (line) => stderr.push(line));
    expect({ code, stderr }).toEqual({ code: 0, stderr: [] });
    expect(apple.revoked).toEqual([granted]);
    expect(stdout.join('\n')).toContain(`revoked the Apple refresh token of apple|${sub} at Apple`);
    // The token itself is never printed.
    expect(stdout.join('\n')).not.toContain(granted);
  });
});
