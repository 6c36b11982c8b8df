import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { localKeyAlias } from '../../infra/local/stack.js';

// The committed env-vars file for `sam local` must keep matching what `npm start` runs.
const samEnv = JSON.parse(readFileSync(new URL('../../infra/sam-env.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;
const start = readFileSync(new URL('../../infra/local/start.ts', import.meta.url), 'utf8');

describe('infra/sam-env.json', () => {
  it.each(Object.entries(samEnv))('%s points at the npm start services', (_name, env) => {
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toBe('http://host.docker.internal:8000');
    expect(env.AWS_ENDPOINT_URL_KMS).toBe('http://host.docker.internal:8001');
    expect(env.SIGNING_KEY_ID).toBe(localKeyAlias('RS256'));
    expect(env.TABLE_NAME).toBe('social-token-exchange');
  });

  it('matches the default ports of npm start', () => {
    expect(start).toContain("portFromEnv('DYNAMODB_PORT', 8000)");
    expect(start).toContain("portFromEnv('KMS_PORT', 8001)");
  });
});
