import { describe, expect, it } from 'vitest';
import { parseTenant, attemptLimitsOf } from '../../functions/core/tenant.js';
import { withEdge, viewerIp, type RequestEdge } from '../../functions/http/edge.js';
import { CORS_ROUTES } from '../../functions/http/cors.js';
import { retryAfterOf } from '../../functions/providers/http.js';
import type { OriginDirectory } from '../../functions/core/ports.js';

const event = (method: string, headers: Record<string, string>, sourceIp = '10.0.0.1') =>
  ({ version: '2.0', rawPath: '/oauth/access_token', headers, requestContext: { http: { method, sourceIp } } }) as never;

const origins: OriginDirectory = {
  ofClient: async (clientId) => (clientId === 'web' ? ['https://app.example.com'] : []),
  anyClientAllows: async (origin) => origin === 'https://app.example.com',
};

/** A handler that reports what the edge told it and attributes the answer to `web`. */
const seen: RequestEdge[] = [];
const handler = withEdge<{ edge?: { origins?: OriginDirectory; originVerifySecret?: string } }>(CORS_ROUTES['/oauth/access_token'], async (_event, _deps, edge) => {
  seen.push(edge);
  edge.attribute('web');
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' };
});

describe('the edge wrapper', () => {
  it('trusts CloudFront-Viewer-Address only on requests that carry the origin-verify secret', async () => {
    seen.length = 0;
    await handler(event('POST', { 'cloudfront-viewer-address': '203.0.113.9:443' }), { edge: { origins } });
    await handler(event('POST', { 'cloudfront-viewer-address': '203.0.113.9:443', 'x-origin-verify': 's3cret' }), { edge: { origins, originVerifySecret: 's3cret' } });
    expect(seen.map((edge) => edge.sourceIp)).toEqual(['10.0.0.1', '203.0.113.9']);
  });

  it('refuses a request without the secret when one is configured', async () => {
    const response = await handler(event('POST', { 'x-origin-verify': 'guess' }), { edge: { originVerifySecret: 's3cret' } });
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'access_denied' });
  });

  it('adds CORS headers for the attributed client only', async () => {
    const allowed = await handler(event('POST', { origin: 'https://app.example.com' }), { edge: { origins } });
    expect(allowed.headers['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    const foreign = await handler(event('POST', { origin: 'https://evil.example' }), { edge: { origins } });
    expect(foreign.headers['Access-Control-Allow-Origin']).toBeUndefined();
    expect(foreign.headers.Vary).toBe('Origin');
    // Without a directory, nothing is allowed.
    expect((await handler(event('POST', { origin: 'https://app.example.com' }), {})).headers['Access-Control-Allow-Origin']).toBeUndefined();
  });

  it('answers preflights without calling the handler', async () => {
    seen.length = 0;
    const response = await handler(event('OPTIONS', { origin: 'https://app.example.com' }), { edge: { origins } });
    expect(response.statusCode).toBe(204);
    expect(response.headers['Access-Control-Allow-Methods']).toBe('POST, OPTIONS');
    expect(seen).toHaveLength(0);
  });

  it.each([
    ['198.51.100.1:46532', '198.51.100.1'],
    ['2001:db8::1:443', '2001:db8::1'],
    ['[2001:db8::2]:443', '2001:db8::2'],
    ['not an address', undefined],
    [undefined, undefined],
  ])('reads the viewer IP of %s', (value, ip) => {
    expect(viewerIp(value)).toBe(ip);
  });
});

describe('tenant settings of section 12', () => {
  const client = (extra: Record<string, unknown>) => ({ clients: [{ client_id: 'web', ...extra }] });

  it('accepts exact origins, custom schemes included, and limits with defaults', () => {
    const tenant = parseTenant(client({ allowed_origins: ['https://app.example.com', 'capacitor://localhost', 'http://localhost:8100'], rate_limits: { per_client_per_second: 5 } }));
    expect(attemptLimitsOf(tenant.clients[0]!)).toEqual({ perIpFailuresPerMinute: 20, perClientPerSecond: 5 });
    expect(attemptLimitsOf(parseTenant(client({})).clients[0]!)).toEqual({ perIpFailuresPerMinute: 20, perClientPerSecond: 0 });
  });

  it.each([['*'], ['null'], ['https://app.example.com/'], ['https://App.example.com'], ['https://app.example.com/path'], ['app.example.com']])(
    'refuses the origin %s',
    (origin) => {
      expect(() => parseTenant(client({ allowed_origins: [origin] }))).toThrow(/allowed_origins/);
    },
  );

  it('refuses unknown, negative or fractional limits', () => {
    for (const rate_limits of [{ per_minute: 1 }, { per_ip_failures_per_minute: -1 }, { per_client_per_second: 1.5 }, 'many']) {
      expect(() => parseTenant(client({ rate_limits }))).toThrow(/rate_limits/);
    }
  });
});

describe('retryAfterOf', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [{ 'retry-after': '20' }, 20],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:45 GMT' }, 45],
    [{ 'x-rate-limit-reset': String(now / 1000 + 900) }, 900],
    [{}, undefined],
    [{ 'retry-after': 'soon' }, undefined],
  ])('%j → %s', (headers, seconds) => {
    expect(retryAfterOf(new Headers(headers), now)).toBe(seconds);
  });
});
