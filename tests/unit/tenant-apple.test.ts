import { describe, expect, it } from 'vitest';
import { parseTenant, TenantFileError } from '../../functions/core/tenant.js';
import { APPLE_APP } from '../../infra/local/emulators/apple.js';

const problemsOf = (connection: Record<string, unknown>): string[] => {
  try {
    parseTenant({ connections: [connection] });
    return [];
  } catch (error) {
    if (error instanceof TenantFileError) return error.problems;
    throw error;
  }
};

const apple = (options: Record<string, unknown>) => ({ name: 'apple', strategy: 'apple', options: { client_id: APPLE_APP.client_id, ...options } });

// `npm run tenant -- validate` explains each mistake of a native sign-in connection (DESIGN section 10).
describe('tenant file: apple and ID-token options', () => {
  it('accepts an apple connection for identity tokens only, and one that can exchange codes', () => {
    expect(problemsOf(apple({ allowed_audiences: [APPLE_APP.services_id], require_nonce: true }))).toEqual([]);
    expect(problemsOf(apple({ team_id: APPLE_APP.team_id, key_id: APPLE_APP.key_id, private_key: APPLE_APP.private_key }))).toEqual([]);
  });

  it.each([
    [
      'private_key without team_id and key_id',
      apple({ private_key: APPLE_APP.private_key }),
      [
        "connections.0.options.team_id: options.team_id is required when options.private_key is set: Apple's client secret (for authorization codes and revocation) is an ES256 JWT signed with private_key, naming key_id and team_id",
        "connections.0.options.key_id: options.key_id is required when options.private_key is set: Apple's client secret (for authorization codes and revocation) is an ES256 JWT signed with private_key, naming key_id and team_id",
      ],
    ],
    ['a client_secret', apple({ client_secret: 'x' }), [expect.stringMatching(/^connections\.0\.options\.client_secret: options\.client_secret is not used by apple/)]],
    ['a private_key that is not a PKCS#8 PEM', apple({ team_id: 'T', key_id: 'K', private_key: 'MIGHAgEAMBMG' }), [expect.stringMatching(/options\.private_key must be the PKCS#8 PEM/)]],
    ['an endpoint name apple does not use', apple({ endpoints: { tokeninfo: 'https://x.example/' } }), [expect.stringMatching(/options\.endpoints has a name this strategy does not use \(tokeninfo; known: jwks, token, revoke\)/)]],
    ['require_nonce that is not a boolean', apple({ require_nonce: 'yes' }), ['connections.0.options.require_nonce: options.require_nonce must be true or false']],
    [
      'Apple options on another strategy',
      { name: 'fb', strategy: 'facebook', options: { client_id: '1', client_secret: 's', team_id: 'T' } },
      ['connections.0.options.team_id: options.team_id is only used by the apple strategy'],
    ],
    [
      'require_nonce on a strategy without ID tokens',
      { name: 'tw', strategy: 'twitter', options: { client_id: '1', client_secret: 's', require_nonce: true } },
      [expect.stringMatching(/options\.require_nonce only applies to strategies with ID tokens/)],
    ],
  ])('refuses %s, saying what to fix', (_case, connection, problems) => {
    expect(problemsOf(connection)).toEqual(problems);
  });

  it('accepts the jwks endpoint name for google-oauth2 and facebook', () => {
    expect(problemsOf({ name: 'g', strategy: 'google-oauth2', options: { client_id: 'g', endpoints: { jwks: 'https://x.example/certs' } } })).toEqual([]);
    expect(problemsOf({ name: 'f', strategy: 'facebook', options: { client_id: '1', client_secret: 's', endpoints: { jwks: 'https://x.example/jwks' } } })).toEqual([]);
  });
});
