import { describe, expect, it } from 'vitest';
import { claimsForScopes, parseScope, wantsIdToken } from '../../functions/core/scope.js';

const profile = {
  name: 'Alice Example',
  given_name: 'Alice',
  family_name: 'Example',
  nickname: 'alice',
  picture: 'https://example.com/a.png',
  locale: 'en',
  email: 'alice@example.com',
  email_verified: true,
  updated_at: '2026-01-02T03:04:05.000Z',
};

describe('scopes', () => {
  it('defaults to openid', () => {
    expect(parseScope(undefined)).toEqual(['openid']);
    expect(parseScope('  ')).toEqual(['openid']);
    expect(wantsIdToken(parseScope('profile'))).toBe(false);
  });

  it('gives only sub-level claims for openid', () => {
    expect(claimsForScopes(profile, ['openid'])).toEqual({});
  });

  it('maps profile and email scopes (OIDC Core 5.4)', () => {
    expect(claimsForScopes(profile, ['openid', 'profile'])).toEqual({
      name: 'Alice Example',
      given_name: 'Alice',
      family_name: 'Example',
      nickname: 'alice',
      picture: 'https://example.com/a.png',
      locale: 'en',
      updated_at: Date.parse(profile.updated_at) / 1000,
    });
    expect(claimsForScopes(profile, ['email'])).toEqual({ email: 'alice@example.com', email_verified: true });
  });

  it('accepts legacy claim-name scopes', () => {
    expect(claimsForScopes(profile, parseScope('openid name email nickname picture'))).toEqual({
      name: 'Alice Example',
      nickname: 'alice',
      picture: 'https://example.com/a.png',
      email: 'alice@example.com',
      email_verified: true,
    });
  });

  it('never claims a verified state without an email', () => {
    expect(claimsForScopes({ email_verified: true }, ['email'])).toEqual({});
  });
});
