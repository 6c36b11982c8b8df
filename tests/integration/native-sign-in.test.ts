import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { APPLE_APP, APPLE_USERS } from '../../infra/local/emulators/apple.js';
import { FACEBOOK_APP, FACEBOOK_TEST_TOKENS, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_APP, GOOGLE_TEST_TOKENS, GOOGLE_USERS } from '../../infra/local/emulators/google.js';
import { TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import type { IdTokenIssuer } from '../../infra/local/emulators/id-tokens.js';
import { buildLocalTenant } from '../../infra/local/local-tenant.js';
import type { LocalStack } from '../../infra/local/stack.js';
import type { Tenant } from '../../functions/core/tenant.js';
import { postToken, startTestStack } from '../support/stack.js';
import { postOAuthToken, TOKEN_EXCHANGE } from '../support/oauth-token.js';

const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const GOOGLE_ID_TOKEN = 'http://auth0.com/oauth/token-type/google-id-token';
const APPLE_CODE = 'http://auth0.com/oauth/token-type/apple-authz-code';
const RAW_NONCE = 'n-0S6_WzA2Mj-raw';

/** The local tenant plus clients for connection selection, require_nonce and a dead JWKS. */
const tenant = (endpoints: Parameters<typeof buildLocalTenant>[0]): Tenant => {
  const base = buildLocalTenant(endpoints);
  const google = base.connections.find((c) => c.name === 'google-oauth2')!;
  const grant = { grant_types: [TOKEN_EXCHANGE], id_token_lifetime: 36000, link_by_verified_email: false as const };
  return {
    clients: [
      ...base.clients,
      { client_id: 'two-googles', connections: ['google-oauth2', 'google-second'], ...grant },
      { client_id: 'strict', connections: ['google-strict'], ...grant },
      { client_id: 'dead-jwks', connections: ['google-dead'], ...grant },
    ],
    connections: [
      ...base.connections,
      { ...google, name: 'google-second' },
      { ...google, name: 'google-strict', options: { ...google.options, require_nonce: true } },
      { ...google, name: 'google-dead', options: { ...google.options, endpoints: { ...google.options.endpoints, jwks: 'http://127.0.0.1:9/certs' } } },
    ],
  };
};

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('POST /oauth/token: native ID tokens', () => {
  let stack: LocalStack;
  let issuers: Record<'google' | 'facebook' | 'apple', IdTokenIssuer>;
  beforeAll(async () => {
    stack = await startTestStack({ tenant, jwksCooldownSeconds: 1 });
    issuers = { google: stack.emulators.google.idTokens, facebook: stack.emulators.facebook.idTokens, apple: stack.emulators.apple.idTokens };
  });
  afterAll(() => stack?.stop());

  const exchange = (fields: Record<string, unknown>, encoding: 'json' | 'form' = 'json') =>
    postOAuthToken(stack, { grant_type: TOKEN_EXCHANGE, client_id: 'my-app', subject_token_type: ID_TOKEN, ...fields }, encoding);

  const refused = { status: 400, body: { error: 'invalid_grant', error_description: 'invalid subject_token' } };
  const outcome = (call: { status: number; body: unknown }) => ({ status: call.status, body: call.body });

  /** What any standard relying party does knowing only the issuer URL. */
  const verifyFromDiscovery = async (idToken: string) => {
    const document = (await (await fetch(`${stack.issuer}.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    return jwtVerify(idToken, createRemoteJWKSet(new URL(document.jwks_uri)), { issuer: document.issuer, audience: 'my-app' });
  };

  describe.each([
    ['google', 'google-oauth2', `google-oauth2|${GOOGLE_USERS.alice.sub}`, { email: GOOGLE_USERS.alice.email, email_verified: true, name: GOOGLE_USERS.alice.name }],
    ['facebook', 'facebook', `facebook|${FACEBOOK_USERS.alice.id}`, { email: FACEBOOK_USERS.alice.email, email_verified: false, name: FACEBOOK_USERS.alice.name }],
    ['apple', 'apple', `apple|${APPLE_USERS.alice.sub}`, { email: APPLE_USERS.alice.email, email_verified: true }],
  ] as const)('%s', (provider, connection, sub, claims) => {
    const mint = (extra: Record<string, unknown> = {}, options?: Parameters<IdTokenIssuer['mint']>[1]) =>
      issuers[provider].mint({ raw_nonce: RAW_NONCE, ...extra }, options);

    it.each(['json', 'form'] as const)('a valid token → 200 with our tokens, verifiable from discovery alone (%s)', async (encoding) => {
      const call = await exchange({ subject_token: mint(), nonce: RAW_NONCE, scope: 'openid profile email' }, encoding);
      expect(call.status).toBe(200);
      expect(call.headers.get('cache-control')).toBe('no-store');
      expect(call.body).toEqual({
        access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        issued_token_type: ACCESS_TOKEN,
        token_type: 'Bearer',
        expires_in: 86_400,
        scope: 'openid profile email',
        id_token: expect.any(String),
      });
      const { payload } = await verifyFromDiscovery(call.body.id_token as string);
      expect(payload).toMatchObject({ sub, aud: 'my-app', iss: stack.issuer, nonce: RAW_NONCE, ...claims });
      // Without connection: the unverified iss picks the one enabled connection of the strategy.
      const implicit = await exchange({ subject_token: mint(), nonce: RAW_NONCE });
      expect(implicit.status).toBe(200);
      expect(claimsOf(implicit.body.id_token as string).sub).toBe(sub);
    });

    it('refuses a replay of the same token', async () => {
      const token = mint();
      expect((await exchange({ subject_token: token, nonce: RAW_NONCE, connection })).status).toBe(200);
      expect(outcome(await exchange({ subject_token: token, nonce: RAW_NONCE, connection }))).toEqual(refused);
    });

    it.each([
      ['wrong audience', () => mint({ aud: 'someone-else' })],
      ['wrong issuer', () => mint({ iss: 'https://evil.example.com' })],
      ['expired (beyond the 60 s leeway)', () => mint({ exp: Math.floor(Date.now() / 1000) - 120 })],
      ['issued in the future', () => mint({ iat: Math.floor(Date.now() / 1000) + 600 })],
      ['alg none', () => {
        const [, payload] = mint().split('.');
        return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
      }],
      ['HS256 signed with the RSA public key', () => {
        const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid: issuers[provider].currentKid() })).toString('base64url');
        const payload = mint().split('.')[1];
        const mac = createHmac('sha256', issuers[provider].publicKeyPem()).update(`${header}.${payload}`).digest('base64url');
        return `${header}.${payload}.${mac}`;
      }],
      ['a kid no JWKS publishes', () => mint({}, { key: 'stranger' })],
      ['a tampered signature', () => {
        const [header, payload, signature] = mint().split('.');
        return `${header}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
      }],
      ['a tampered payload', () => {
        const [header, , signature] = mint().split('.');
        const forged = Buffer.from(JSON.stringify({ ...claimsOf(mint()), sub: 'victim' })).toString('base64url');
        return `${header}.${forged}.${signature}`;
      }],
      ['not a JWT', () => 'not-a-jwt'],
    ])('%s → invalid subject_token', async (_case, token) => {
      expect(outcome(await exchange({ subject_token: token(), nonce: RAW_NONCE, connection }))).toEqual(refused);
    });

    it('accepts a token for an allowed extra audience', async () => {
      const extra = provider === 'google' ? GOOGLE_APP.allowed_audiences[1] : provider === 'apple' ? APPLE_APP.services_id : undefined;
      if (extra === undefined) return; // the Facebook connection has no extra audience
      expect((await exchange({ subject_token: mint({ aud: extra }), nonce: RAW_NONCE, connection })).status).toBe(200);
    });

    it.each([
      ['mismatch', { raw_nonce: 'another-nonce' }, { nonce: RAW_NONCE }],
      ['missing in the request', {}, {}],
      ['hashed nonce sent instead of the raw one', {}, { nonce: 'x'.repeat(64) }],
      ['request nonce but none in the token', { raw_nonce: null, nonce: null }, { nonce: RAW_NONCE }],
    ])('nonce %s → invalid subject_token', async (_case, claims, fields) => {
      const token = mint(claims as Record<string, unknown>);
      expect(outcome(await exchange({ subject_token: token, connection, ...fields }))).toEqual(refused);
    });
  });

  it('Apple: nonce_supported false excuses a token without nonce; true does not', async () => {
    const withoutNonce = (supported: unknown) => issuers.apple.mint({ nonce_supported: supported });
    expect((await exchange({ subject_token: withoutNonce(false), nonce: RAW_NONCE })).status).toBe(200);
    expect((await exchange({ subject_token: withoutNonce('false'), nonce: RAW_NONCE })).status).toBe(200);
    expect(outcome(await exchange({ subject_token: withoutNonce(true), nonce: RAW_NONCE }))).toEqual(refused);
  });

  it('Google: the Auth0 google-id-token type, and a token without nonce when none is sent', async () => {
    const call = await exchange({ subject_token: issuers.google.mint(), subject_token_type: GOOGLE_ID_TOKEN });
    expect(call.status).toBe(200);
    expect(claimsOf(call.body.id_token as string).nonce).toBeUndefined();
  });

  it('require_nonce makes a nonce mandatory on both sides', async () => {
    const fields = { client_id: 'strict', connection: 'google-strict' };
    expect(outcome(await exchange({ ...fields, subject_token: issuers.google.mint() }))).toEqual(refused);
    expect(outcome(await exchange({ ...fields, subject_token: issuers.google.mint({ raw_nonce: RAW_NONCE }) }))).toEqual(refused);
    expect((await exchange({ ...fields, subject_token: issuers.google.mint({ raw_nonce: RAW_NONCE }), nonce: RAW_NONCE })).status).toBe(200);
  });

  it('the same person through an access token and an ID token is one identity', async () => {
    const viaAccessToken = await postOAuthToken(stack, {
      grant_type: TOKEN_EXCHANGE, client_id: 'my-app', subject_token_type: ACCESS_TOKEN, connection: 'google-oauth2', subject_token: GOOGLE_TEST_TOKENS.alice,
    });
    const viaIdToken = await exchange({ subject_token: issuers.google.mint() });
    const legacy = await postToken(stack, { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice });
    const limitedLogin = await exchange({ subject_token: issuers.facebook.mint() });
    expect(claimsOf(viaAccessToken.body.id_token as string).sub).toBe(claimsOf(viaIdToken.body.id_token as string).sub);
    expect(claimsOf(legacy.body.id_token as string).sub).toBe(claimsOf(limitedLogin.body.id_token as string).sub);
  });

  it('a JWKS rotation is picked up with one refetch once the cool-down has passed', async () => {
    const google = stack.emulators.google;
    expect((await exchange({ subject_token: issuers.google.mint() })).status).toBe(200); // JWKS cached
    const fetchesBefore = google.calls.filter((c) => c.path === '/oauth2/v3/certs').length;
    issuers.google.rotate();
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the test stack's cool-down is 1 s
    expect((await exchange({ subject_token: issuers.google.mint() })).status).toBe(200);
    // A second unknown kid right after: no refetch within the cool-down, the token is refused.
    expect(outcome(await exchange({ subject_token: issuers.google.mint({}, { key: 'stranger' }) }))).toEqual(refused);
    expect((await exchange({ subject_token: issuers.google.mint() })).status).toBe(200);
    expect(google.calls.filter((c) => c.path === '/oauth2/v3/certs').length).toBe(fetchesBefore + 1);
  });

  it('the warm ID-token exchange makes no provider call at all', async () => {
    expect((await exchange({ subject_token: issuers.facebook.mint() })).status).toBe(200);
    const before = stack.emulators.facebook.calls.length;
    expect((await exchange({ subject_token: issuers.facebook.mint() })).status).toBe(200);
    expect(stack.emulators.facebook.calls.length).toBe(before);
  });

  it('a JWKS that cannot be fetched is 503, never 500 or 401', async () => {
    const call = await exchange({ client_id: 'dead-jwks', subject_token: issuers.google.mint() });
    expect(call.status).toBe(503);
    expect(call.body.error).toBe('temporarily_unavailable');
  });

  describe('connection selection', () => {
    it.each([
      ['two enabled connections of the strategy', { client_id: 'two-googles', subject_token: (): string => issuers.google.mint() }, 'connection is required'],
      ['the access_token type without connection', { subject_token: (): string => GOOGLE_TEST_TOKENS.alice, subject_token_type: ACCESS_TOKEN }, 'connection is required'],
      ['none enabled (Apple code, client without apple)', { client_id: 'two-googles', subject_token: (): string => 'code', subject_token_type: APPLE_CODE }, 'connection is required'],
    ])('%s → 400 %s', async (_case, { subject_token, ...fields }, description) => {
      expect(outcome(await exchange({ subject_token: subject_token(), ...fields }))).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: description },
      });
    });

    it('with two candidates an explicit connection decides', async () => {
      const call = await exchange({ client_id: 'two-googles', connection: 'google-second', subject_token: issuers.google.mint() });
      expect(call.status).toBe(200);
    });

    it('an unknown issuer without connection → invalid subject_token', async () => {
      expect(outcome(await exchange({ subject_token: issuers.google.mint({ iss: 'https://unknown.example' }) }))).toEqual(refused);
    });
  });

  describe('the section-9 error table', () => {
    const tw = TWITTER_TEST_TOKENS.ada;
    it.each([
      [{ subject_token_type: 'urn:x:unknown', subject_token: 't' }, 400, 'invalid_request', 'unsupported subject_token_type'],
      [{ subject_token: 'eyJ.x.y', connection: 'twitter' }, 400, 'invalid_request', 'the connection does not accept this subject_token_type'],
      [{ subject_token: tw.token, subject_token_type: ACCESS_TOKEN, connection: 'twitter' }, 400, 'invalid_request', 'missing access_token_secret parameter'],
      [{ subject_token: 'x', connection: 'apple', user_profile: 'not json' }, 400, 'invalid_request', 'invalid user_profile'],
      [{ subject_token: 'x', connection: 'apple', user_profile: '[1]' }, 400, 'invalid_request', 'invalid user_profile'],
      [{ subject_token: 'x', connection: 'apple', user_profile: JSON.stringify({ name: { firstName: 'A'.repeat(1100) } }) }, 400, 'invalid_request', 'invalid user_profile'],
      [{ subject_token: 'x', connection: 'nope' }, 400, 'invalid_request', 'the connection was not found'],
      [{ subject_token: 'x', connection: 'google-second' }, 400, 'invalid_request', 'the connection was disabled'],
      [{ subject_token: 'x', connection: 'google-oauth2', audience: 'https://api.example.com' }, 400, 'invalid_target', undefined],
      [{ subject_token: 'x', connection: 'google-oauth2', resource: 'https://api.example.com' }, 400, 'invalid_target', undefined],
      [{ subject_token: 'x', connection: 'google-oauth2' }, 400, 'invalid_grant', 'invalid subject_token'],
      [{ subject_token: 'revoked-or-unknown', subject_token_type: ACCESS_TOKEN, connection: 'google-oauth2' }, 400, 'invalid_grant', 'invalid subject_token'],
    ])('%j → %i %s', async (fields, status, error, description) => {
      for (const encoding of ['json', 'form'] as const) {
        const call = await exchange(fields, encoding);
        expect(call.status).toBe(status);
        expect(call.body.error).toBe(error);
        if (description !== undefined) expect(call.body.error_description).toBe(description);
        else expect(call.body.error_description).toEqual(expect.any(String));
      }
    });

    it('Twitter access token with its secret works through the access_token type', async () => {
      const call = await exchange({ subject_token: tw.token, access_token_secret: tw.secret, subject_token_type: ACCESS_TOKEN, connection: 'twitter' }, 'form');
      expect(call.status).toBe(200);
    });
  });

  describe('Apple authorization code', () => {
    const documents = () => DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1' }));

    it('exchanges the code at Apple (client-secret JWT checked by the emulator), keeps Apple’s refresh token, takes the first-login name', async () => {
      const apple = stack.emulators.apple;
      const sub = '009999.codeexchange0000000000000000000.0001';
      const code = apple.mintCode({ sub, email: 'ada@example.com', raw_nonce: RAW_NONCE });
      const call = await exchange({
        subject_token: code,
        subject_token_type: APPLE_CODE,
        nonce: RAW_NONCE,
        scope: 'openid profile email',
        user_profile: JSON.stringify({ name: { firstName: 'Ada', lastName: 'Lovelace' } }),
      }, 'form');
      expect(call.status).toBe(200);
      expect(call.body.refresh_token).toBeUndefined();
      expect(claimsOf(call.body.id_token as string)).toMatchObject({
        sub: `apple|${sub}`, name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace', email: 'ada@example.com',
      });
      const { Item } = await documents().send(new GetCommand({ TableName: stack.tableName, Key: { pk: `IDENTITY#apple|${sub}`, sk: 'IDENTITY' } }));
      expect(apple.refreshTokens.has(Item?.provider_refresh_token as string)).toBe(true);
      expect(JSON.stringify(call.body)).not.toContain(Item?.provider_refresh_token as string);

      // A later login (identity token, no user_profile) keeps the name; user_profile never sets email.
      const later = await exchange({
        subject_token: apple.idTokens.mint({ sub, email: 'ada@example.com' }),
        scope: 'openid profile email',
        user_profile: JSON.stringify({ name: { firstName: 'Eve' }, email: 'eve@evil.example' }),
      });
      expect(claimsOf(later.body.id_token as string)).toMatchObject({ name: 'Ada Lovelace', given_name: 'Ada', email: 'ada@example.com' });

      // A code is single use at Apple.
      expect(outcome(await exchange({ subject_token: code, subject_token_type: APPLE_CODE, nonce: RAW_NONCE }))).toEqual(refused);
    });
  });
});
