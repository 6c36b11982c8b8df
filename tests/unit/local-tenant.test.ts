import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseTenantJson } from '../../functions/core/tenant.js';
import { emulatorOrigins, followRunningEmulators } from '../../infra/local/local-tenant.js';

const committed = parseTenantJson(readFileSync(new URL('../../infra/local/tenant.local.json', import.meta.url), 'utf8'));
const running = {
  facebook: 'http://127.0.0.1:41001',
  google: 'http://127.0.0.1:41002',
  twitter: 'http://127.0.0.1:41003',
  weibo: 'http://127.0.0.1:41004',
  apple: 'http://127.0.0.1:41005',
};

describe('followRunningEmulators', () => {
  it('moves the committed tenant from the default emulator ports to the running ones', () => {
    const { tenant, moved } = followRunningEmulators(committed, running);
    expect(moved).toEqual(['facebook', 'google-oauth2', 'twitter', 'weibo', 'apple']);
    const facebook = tenant.connections.find((c) => c.name === 'facebook')!;
    expect(facebook.options.endpoints).toEqual({
      debug_token: 'http://127.0.0.1:41001/v25.0/debug_token',
      me: 'http://127.0.0.1:41001/v25.0/me',
      jwks: 'http://127.0.0.1:41001/.well-known/oauth/openid/jwks/',
    });
    expect(JSON.stringify(tenant)).not.toMatch(/127\.0\.0\.1:300[1-5]/);
    // The secrets and everything else are as in the file.
    expect(facebook.options.client_secret).toBe(committed.connections.find((c) => c.name === 'facebook')!.options.client_secret);
    expect(tenant.clients).toEqual(committed.clients);
  });

  it('leaves other endpoints, and emulators on their default ports, alone', () => {
    const custom = {
      ...committed,
      connections: [{ name: 'fb', strategy: 'facebook' as const, options: { client_id: 'a', client_secret: 'b', endpoints: { me: 'http://127.0.0.1:30010/me', debug_token: 'https://proxy.example/debug_token' } } }],
    };
    expect(followRunningEmulators(custom, running).moved).toEqual([]);
    expect(followRunningEmulators(committed, { facebook: 'http://127.0.0.1:3001' }).moved).toEqual([]);
  });

  it('reads each emulator base URL from its endpoints', () => {
    expect(emulatorOrigins({ facebook: { me: 'http://127.0.0.1:41001/v25.0/me' }, google: {}, twitter: {}, weibo: {}, apple: {} })).toEqual({
      facebook: 'http://127.0.0.1:41001',
    });
  });
});
