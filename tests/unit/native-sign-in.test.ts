import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { maxAgeOf } from '../../functions/providers/id-token/jwks-cache.js';
import { hashNonce } from '../../functions/providers/id-token/verify.js';
import { strategyOfIssuer } from '../../functions/providers/id-token/rules.js';
import { parseUserProfile } from '../../functions/core/grants/token-exchange.js';
import { providers } from '../../functions/providers/registry.js';
import { STRATEGIES } from '../../functions/core/strategies.js';
import { OAuthError } from '../../functions/core/errors.js';

describe('JWKS Cache-Control', () => {
  it.each([
    ['public, max-age=21600, must-revalidate, no-transform', 21_600_000],
    ['max-age=0', 0],
    ['no-store', 0],
    ['private, no-cache', 0],
    ['max-age=604800', 86_400_000], // at most 24 h
    ['public', undefined],
    [undefined, undefined],
  ])('%s → %s ms', (header, ms) => {
    expect(maxAgeOf(header)).toBe(ms);
  });
});

describe('nonce convention', () => {
  it('is the lowercase hex SHA-256 of the raw nonce (what the app gives the provider)', () => {
    expect(hashNonce('n-0S6_WzA2Mj')).toBe(createHash('sha256').update('n-0S6_WzA2Mj').digest('hex'));
    expect(hashNonce('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('issuers', () => {
  it.each([
    ['https://appleid.apple.com', 'apple'],
    ['https://accounts.google.com', 'google-oauth2'],
    ['accounts.google.com', 'google-oauth2'],
    ['https://www.facebook.com', 'facebook'],
    ['https://account.apple.com', undefined],
    ['https://facebook.com', undefined],
    [42, undefined],
  ])('%s → %s', (iss, strategy) => {
    expect(strategyOfIssuer(iss)).toBe(strategy);
  });
});

describe('user_profile', () => {
  it('takes the name in Auth0 shape, never an email', () => {
    expect(parseUserProfile(JSON.stringify({ name: { firstName: 'Ada', lastName: 'Lovelace' }, email: 'x@evil.example' }))).toEqual({
      given_name: 'Ada',
      family_name: 'Lovelace',
      name: 'Ada Lovelace',
    });
    expect(parseUserProfile('{}')).toEqual({});
  });

  it.each(['null', '"Ada"', '[]', '{"name":"Ada"}', '{"name":{"firstName":1}}', 'x', JSON.stringify({ name: { firstName: 'a'.repeat(1100) } })])(
    'refuses %s',
    (text) => {
      expect(() => parseUserProfile(text)).toThrow(OAuthError);
    },
  );
});

describe('strategy table', () => {
  it('names the same default URLs as the access-token adapters', () => {
    for (const [strategy, adapter] of Object.entries(providers)) {
      expect(STRATEGIES[strategy as keyof typeof STRATEGIES].endpoints).toMatchObject(adapter.defaultEndpoints);
      expect(STRATEGIES[strategy as keyof typeof STRATEGIES].requiresTokenSecret).toBe(adapter.requiresTokenSecret);
    }
  });
});
