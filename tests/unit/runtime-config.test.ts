import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config.js';

// The functions' own environment (set by the CDK stack, the local stack or sam local).
describe('loadConfig', () => {
  it.each([
    [{ SIGNING_ALG: 'es256' }, 'SIGNING_ALG must be RS256 or ES256 (got "es256")'],
    [{ SIGNING_ALG: 'PS256' }, 'SIGNING_ALG must be RS256 or ES256 (got "PS256")'],
    [{ PROVIDER_TIMEOUT_MS: '5s' }, 'PROVIDER_TIMEOUT_MS must be a non-negative integer (got "5s")'],
    [{ CONFIG_CACHE_TTL_SECONDS: '-1' }, 'CONFIG_CACHE_TTL_SECONDS must be a non-negative integer (got "-1")'],
    [{ TABLE_NAME: '' }, 'TABLE_NAME is not set'],
  ])('refuses %j naming the variable and what it accepts', (env, message) => {
    expect(() => loadConfig({ TABLE_NAME: 't', ISSUER: 'https://auth.example.com/', ...env })).toThrow(message);
  });

  it('accepts both algorithms', () => {
    expect(loadConfig({ TABLE_NAME: 't', ISSUER: 'https://auth.example.com/', SIGNING_ALG: 'ES256' }).signingAlg).toBe('ES256');
    expect(loadConfig({ TABLE_NAME: 't', ISSUER: 'https://auth.example.com/' }).signingAlg).toBe('RS256');
  });
});
