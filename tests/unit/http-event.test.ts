import { describe, expect, it } from 'vitest';
import { issuerFromRequest, toHttpRequest, type HttpRequest } from '../../functions/http/event.js';
import { OAuthError } from '../../functions/core/errors.js';

const request = (headers: Record<string, string>, stage?: string): HttpRequest => ({
  method: 'GET',
  path: '/',
  headers,
  body: undefined,
  domainName: undefined,
  stage,
});

describe('issuerFromRequest', () => {
  it.each([
    [{ host: 'abc123.execute-api.eu-west-1.amazonaws.com' }, '$default', 'https://abc123.execute-api.eu-west-1.amazonaws.com/'],
    [{ host: 'abc123.execute-api.eu-west-1.amazonaws.com' }, 'prod', 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/'],
    [{ host: 'auth.example.com' }, 'prod', 'https://auth.example.com/'],
    [{ host: '127.0.0.1:3000' }, '$default', 'http://127.0.0.1:3000/'],
  ])('%j stage %s → %s', (headers, stage, issuer) => {
    expect(issuerFromRequest(request(headers, stage))).toBe(issuer);
  });
});

describe('toHttpRequest', () => {
  it('decodes base64 bodies and lower-cases headers of a v2 event', () => {
    const http = toHttpRequest(
      {
        version: '2.0',
        rawPath: '/oauth/access_token',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from('{"a":"é"}').toString('base64'),
        isBase64Encoded: true,
        requestContext: { http: { method: 'post' }, domainName: 'x', stage: '$default' },
      } as never,
      1024,
    );
    expect(http).toMatchObject({ method: 'POST', path: '/oauth/access_token', headers: { 'content-type': 'application/json' }, body: '{"a":"é"}' });
  });

  it('refuses an oversized base64 body before decoding it', () => {
    const event = { httpMethod: 'POST', path: '/', headers: {}, body: 'A'.repeat(10_000), isBase64Encoded: true, requestContext: {} };
    expect(() => toHttpRequest(event as never, 1024)).toThrow(OAuthError);
  });
});
