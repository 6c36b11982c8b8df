import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig } from '../../functions/config.js';

const base = { TABLE_NAME: 't', ISSUER: 'https://id.example.com', SIGNING_KEY_ID: 'k' };

describe('loadConfig', () => {
  it('requires ISSUER: a deployed function never derives its issuer from the Host header', () => {
    const { ISSUER: _issuer, ...withoutIssuer } = base;
    expect(() => loadConfig(withoutIssuer)).toThrow(ConfigurationError);
    expect(() => loadConfig({ ...withoutIssuer, ISSUER: '' })).toThrow(/ISSUER is not set/);
  });

  it('adds the trailing slash to the issuer and reads the secrets key id when given', () => {
    expect(loadConfig(base)).toMatchObject({ issuer: 'https://id.example.com/', secretsKeyId: undefined });
    expect(loadConfig({ ...base, SECRETS_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/x' }).secretsKeyId).toBe(
      'arn:aws:kms:eu-west-1:111122223333:key/x',
    );
  });
});
