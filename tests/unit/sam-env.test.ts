import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { localKeyAlias } from '../../infra/local/stack.js';
import { DEFAULT_DYNAMODB_PORT, DEFAULT_KMS_PORT, readStartSettings } from '../../infra/local/start-settings.js';

// The committed env-vars file for `sam local` must keep matching what `npm start` runs.
const samEnv = JSON.parse(readFileSync(new URL('../../infra/sam-env.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;

describe('infra/sam-env.json', () => {
  it.each(Object.entries(samEnv))('%s points at the npm start services', (_name, env) => {
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toBe('http://host.docker.internal:8000');
    expect(env.AWS_ENDPOINT_URL_KMS).toBe('http://host.docker.internal:8001');
    expect(env.SIGNING_KEY_ID).toBe(localKeyAlias('RS256'));
    expect(env.TABLE_NAME).toBe('social-token-exchange');
  });

  it('matches the default ports of npm start', () => {
    expect(readStartSettings({}, '.')).toMatchObject({ dynamoPort: DEFAULT_DYNAMODB_PORT, kmsPort: DEFAULT_KMS_PORT });
    for (const env of Object.values(samEnv)) {
      expect(env.AWS_ENDPOINT_URL_DYNAMODB).toBe(`http://host.docker.internal:${DEFAULT_DYNAMODB_PORT}`);
      expect(env.AWS_ENDPOINT_URL_KMS).toBe(`http://host.docker.internal:${DEFAULT_KMS_PORT}`);
    }
  });
});
