import { describe, expect, it } from 'vitest';
import { parseTenant, parseTenantJson, refreshTokenPolicy, TenantFileError } from '../../functions/core/tenant.js';

const GRANT = 'http://auth0.com/oauth/legacy/grant-type/access_token';
const valid = () => ({
  clients: [{ client_id: 'my-app', name: 'My app', grant_types: [GRANT], connections: ['facebook'], id_token_lifetime: 3600 }],
  connections: [
    {
      name: 'facebook',
      strategy: 'facebook',
      options: { client_id: 'APP', client_secret: 'SECRET', endpoints: { debug_token: 'http://127.0.0.1:1/debug_token' } },
    },
  ],
});

const problemsOf = (input: unknown): string[] => {
  try {
    parseTenant(input);
  } catch (error) {
    if (error instanceof TenantFileError) return error.problems;
    throw error;
  }
  throw new Error('expected the tenant to be refused');
};

describe('tenant file', () => {
  it('accepts the documented format and applies defaults', () => {
    const tenant = parseTenant({ ...valid(), clients: [{ client_id: 'bare' }] });
    expect(tenant.clients[0]).toEqual({
      client_id: 'bare',
      grant_types: [],
      connections: [],
      id_token_lifetime: 36000,
      link_by_verified_email: false,
    });
    expect(tenant.connections[0]?.options.endpoints).toEqual({ debug_token: 'http://127.0.0.1:1/debug_token' });
  });

  it('allows a Google connection without a client secret', () => {
    const tenant = parseTenant({ connections: [{ name: 'g', strategy: 'google-oauth2', options: { client_id: 'x.apps.googleusercontent.com' } }] });
    expect(tenant.connections[0]?.strategy).toBe('google-oauth2');
  });

  it.each([
    [{ ...valid(), connections: [{ name: 'x', strategy: 'myspace', options: { client_id: 'a', client_secret: 'b' } }], clients: [] }, 'connections.0.strategy: strategy must be one of'],
    [{ connections: [{ name: 'tw', strategy: 'twitter', options: { client_id: 'a' } }] }, 'connections.0.options.client_secret: options.client_secret is required'],
    [{ connections: [{ name: 'fb', strategy: 'facebook', options: { client_id: 'a', client_secret: 'b', endpoints: { debug_token: 'ftp://x' } } }] }, 'connections.0.options.endpoints.debug_token: an endpoint must be an http or https URL'],
    [{ connections: [{ name: 'fb', strategy: 'facebook', options: { client_id: 'a', client_secret: 'b', endpoints: { tokeninfo: 'http://x' } } }] }, 'connections.0.options.endpoints: options.endpoints has a name'],
    [{ clients: [{ client_id: 'a', connections: ['nope'] }] }, 'clients.0.connections.0: client "a" enables connection "nope", which is not defined in connections'],
    [{ clients: [{ client_id: 'a' }, { client_id: 'a' }] }, 'clients.1.client_id: client "a" is defined twice (also clients.0)'],
    [{ connections: [valid().connections[0], valid().connections[0]] }, 'connections.1.name: connection "facebook" is defined twice (also connections.0)'],
    [{ clients: [{ client_id: 'a', grant_types: ['password'] }] }, 'clients.0.grant_types.0: unknown grant type "password" (known: http://auth0.com/oauth/legacy/grant-type/access_token, urn:ietf:params:oauth:grant-type:token-exchange, refresh_token)'],
    [{ clients: [{ client_id: 'a', id_token_lifetime: '3600' }] }, 'clients.0.id_token_lifetime: id_token_lifetime must be a number'],
    [{ clients: [{ client_id: 'bad id!' }] }, 'clients.0.client_id: client_id may only contain'],
    [{ clients: {} }, 'clients: clients must be an array'],
    [{ clients: [{ client_id: 'a', link_by_verified_email: true }] }, 'automatic linking by email is not supported'],
    [[], 'the tenant file must be a JSON object'],
    [{ clients: [{ client_id: 'a', refresh_token: { idle_lifetime: 10 } }] }, 'clients.0.refresh_token.idle_lifetime: refresh_token.idle_lifetime must be at least 60 seconds'],
    [{ clients: [{ client_id: 'a', refresh_token: { leeway: 301 } }] }, 'refresh_token.leeway must be at most 300 seconds'],
    [{ clients: [{ client_id: 'a', refresh_token: { absolute_lifetime: 1.5 } }] }, 'refresh_token.absolute_lifetime must be a whole number'],
    [{ clients: [{ client_id: 'a', refresh_token: { idle: 60 } }] }, 'clients.0.refresh_token.idle: unknown key'],
  ])('refuses %j naming the field', (input, expected) => {
    expect(problemsOf(input).join('\n')).toContain(expected);
  });

  it('accepts each known grant type', () => {
    const grants = [GRANT, 'urn:ietf:params:oauth:grant-type:token-exchange', 'refresh_token'];
    expect(parseTenant({ clients: [{ client_id: 'a', grant_types: grants }] }).clients[0]?.grant_types).toEqual(grants);
  });

  it('reports schema errors and cross-reference errors in one run', () => {
    const problems = problemsOf({
      clients: [
        { client_id: 'web', connections: ['facebook', 'github'], grant_types: ['password', GRANT] },
        { client_id: 'ios', connections: ['apple'], id_token_lifetime: 'long' },
      ],
      connections: [{ name: 'facebook', strategy: 'facebook', options: { client_id: 'a' } }],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^clients\.0\.grant_types\.0: unknown grant type "password"/),
      expect.stringMatching(/^clients\.1\.id_token_lifetime: /),
      expect.stringMatching(/^connections\.0\.options\.client_secret: /),
      'clients.0.connections.1: client "web" enables connection "github", which is not defined in connections',
      'clients.1.connections.0: client "ios" enables connection "apple", which is not defined in connections',
    ]);
  });

  it("takes a client's refresh-token lifetimes, with DESIGN section 11's defaults for the missing ones", () => {
    const [bare, tuned] = parseTenant({ clients: [{ client_id: 'a' }, { client_id: 'b', refresh_token: { idle_lifetime: 3600, leeway: 5 } }] }).clients;
    expect(refreshTokenPolicy(bare!)).toEqual({ idleLifetime: 1_296_000, absoluteLifetime: 2_592_000, leeway: 0 });
    expect(refreshTokenPolicy(tuned!)).toEqual({ idleLifetime: 3600, absoluteLifetime: 2_592_000, leeway: 5 });
  });

  it('reports malformed JSON in one sentence', () => {
    expect(() => parseTenantJson('{')).toThrow(/not valid JSON/);
  });

  it('refuses unknown keys, prototype keys included, without polluting anything', () => {
    expect(() => parseTenantJson('{"__proto__": {"polluted": true}, "clients": []}')).toThrow(TenantFileError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(problemsOf({ clients: [{ client_id: 'a', grant_type: [] }] }).join('\n')).toMatch(/clients\.0\.grant_type/);
    expect(problemsOf({ client: [] }).join('\n')).toMatch(/client/);
  });
});
