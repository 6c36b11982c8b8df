import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { errors } from '../../functions/core/errors.js';
import { claimsForScopes } from '../../functions/core/scope.js';
import {
  discoveryDocument,
  handleDiscoveryEvent,
  PUBLISHED_KEYS_MAX_AGE_SECONDS,
  type DiscoveryDependencies,
} from '../../functions/discovery/handle.js';

const ISSUER = 'https://auth.example.com/';

const get = (path: string, host = 'auth.example.com'): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    rawPath: path,
    headers: { host },
    requestContext: { http: { method: 'GET' }, domainName: host, stage: '$default' },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const deps = (overrides: Partial<DiscoveryDependencies> = {}): DiscoveryDependencies => ({
  issuer: ISSUER,
  signingAlg: 'RS256',
  jwks: async () => ({ keys: [{ alg: 'RS256' }] }),
  ...overrides,
});

const bodyOf = (result: { body: string }) => JSON.parse(result.body) as Record<string, unknown>;

describe('discoveryDocument', () => {
  it('hangs every URL off the issuer, as the id_token spells it', () => {
    const document = discoveryDocument(ISSUER, ['RS256']);

    expect(document).toMatchObject({
      issuer: ISSUER,
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      token_endpoint: 'https://auth.example.com/oauth/access_token',
      userinfo_endpoint: 'https://auth.example.com/userinfo',
      response_types_supported: ['token id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  it('adds the trailing slash to an issuer configured without one, and keeps a base path', () => {
    const document = discoveryDocument('https://abc.execute-api.eu-west-1.amazonaws.com/prod', ['ES256']);

    expect(document.issuer).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/prod/');
    expect(document.jwks_uri).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/prod/.well-known/jwks.json');
    expect(document.userinfo_endpoint).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/prod/userinfo');
  });

  it('lists each algorithm once, in the order given', () => {
    expect(discoveryDocument(ISSUER, ['ES256', 'RS256', 'ES256']).id_token_signing_alg_values_supported).toEqual(['ES256', 'RS256']);
  });

  it('advertises the scopes and every claim a scope can release', () => {
    const { scopes_supported, claims_supported } = discoveryDocument(ISSUER, ['RS256']);
    const everything = {
      name: 'n', given_name: 'g', family_name: 'f', nickname: 'k', picture: 'p', locale: 'l',
      email: 'e@x.test', email_verified: true, updated_at: '2024-01-01T00:00:00.000Z',
    };

    const released = Object.keys(claimsForScopes(everything, scopes_supported));

    expect(scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'name', 'nickname', 'picture']));
    expect(released.sort()).toEqual(Object.keys(everything).sort());
    expect(claims_supported).toEqual(expect.arrayContaining(['iss', 'sub', 'aud', 'iat', 'exp', ...released]));
    expect(new Set(claims_supported).size).toBe(claims_supported.length);
  });
});

describe('handleDiscoveryEvent', () => {
  it('answers the discovery document with the algorithms of every published key, the active one first', async () => {
    const keys = [{ alg: 'ES256' }, { alg: 'RS256' }, { alg: 'RS256' }];

    const result = await handleDiscoveryEvent(get('/.well-known/openid-configuration'), deps({ signingAlg: 'ES256', jwks: async () => ({ keys }) }));

    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'Content-Type': 'application/json', 'Cache-Control': `public, max-age=${PUBLISHED_KEYS_MAX_AGE_SECONDS}` });
    expect(bodyOf(result).id_token_signing_alg_values_supported).toEqual(['ES256', 'RS256']);
  });

  it('derives the issuer from the host when none is configured', async () => {
    const result = await handleDiscoveryEvent(get('/.well-known/openid-configuration', 'id.example.org'), deps({ issuer: undefined }));

    expect(bodyOf(result)).toMatchObject({ issuer: 'https://id.example.org/', jwks_uri: 'https://id.example.org/.well-known/jwks.json' });
  });

  it('still answers without KMS, naming the active algorithm only, and forbids caching that answer', async () => {
    const jwks = async () => {
      throw errors.unavailable('the signing service is unavailable', 'kms_unavailable');
    };

    const result = await handleDiscoveryEvent(get('/.well-known/openid-configuration'), deps({ signingAlg: 'ES256', jwks }));

    expect(result.statusCode).toBe(200);
    expect(result.headers['Cache-Control']).toBe('no-store');
    expect(bodyOf(result).id_token_signing_alg_values_supported).toEqual(['ES256']);
  });

  it('answers the JWKS with a public max-age', async () => {
    const jwks = { keys: [{ kty: 'EC', kid: 'k1', alg: 'ES256', use: 'sig', crv: 'P-256', x: 'x', y: 'y' }] };

    const result = await handleDiscoveryEvent(get('/.well-known/jwks.json'), deps({ jwks: async () => jwks }));

    expect(result.statusCode).toBe(200);
    expect(result.headers['Cache-Control']).toBe(`public, max-age=${PUBLISHED_KEYS_MAX_AGE_SECONDS}`);
    expect(bodyOf(result)).toEqual(jwks);
  });

  it('answers 503, never cached, when KMS is unavailable for the JWKS', async () => {
    const jwks = async () => {
      throw errors.unavailable('the signing service is unavailable', 'kms_unavailable');
    };

    const result = await handleDiscoveryEvent(get('/.well-known/jwks.json'), deps({ jwks }));

    expect(result.statusCode).toBe(503);
    expect(result.headers['Cache-Control']).toBe('no-store');
    expect(bodyOf(result)).toEqual({ error: 'temporarily_unavailable', error_description: 'the signing service is unavailable' });
  });

  it('answers 500 without details when the key ring fails unexpectedly', async () => {
    const jwks = async () => {
      throw new Error('KMS key arn:aws:kms:... is not an asymmetric signing key');
    };

    const result = await handleDiscoveryEvent(get('/.well-known/jwks.json'), deps({ jwks }));

    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({ error: 'server_error', error_description: 'Unexpected error' });
  });
});
