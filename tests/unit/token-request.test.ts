import { describe, expect, it } from 'vitest';
import { parseTokenRequest, MAX_BODY_BYTES } from '../../functions/core/token-request.js';
import { OAuthError } from '../../functions/core/errors.js';

const json = (value: unknown) => ({ contentType: 'application/json', text: JSON.stringify(value) });
const form = (text: string) => ({ contentType: 'application/x-www-form-urlencoded; charset=UTF-8', text });

const failure = (fn: () => unknown): OAuthError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError');
};

describe('parseTokenRequest', () => {
  it('accepts JSON and form bodies with the same result', () => {
    const fields = { client_id: 'app', access_token: 'tok', connection: 'facebook', scope: 'openid email' };
    const expected = { ...fields };
    expect(parseTokenRequest(json({ ...fields, ignored: 1 }))).toEqual(expected);
    expect(parseTokenRequest(form(new URLSearchParams(fields).toString()))).toEqual(expected);
  });

  it('keeps the optional twitter fields and drops empty optional ones', () => {
    expect(
      parseTokenRequest(json({ client_id: 'a', access_token: 't', connection: 'twitter', access_token_secret: 's', user_id: '1', scope: '' })),
    ).toEqual({ client_id: 'a', access_token: 't', connection: 'twitter', access_token_secret: 's', user_id: '1' });
  });

  it.each([
    [{}, 'missing client_id parameter'],
    [{ access_token: 't', connection: 'c' }, 'missing client_id parameter'],
    [{ client_id: '', access_token: 't', connection: 'c' }, 'missing client_id parameter'],
    [{ client_id: null, access_token: 't', connection: 'c' }, 'missing client_id parameter'],
    [{ client_id: 'a', connection: 'c' }, 'missing access_token parameter'],
    [{ client_id: 'a', access_token: 't' }, 'missing connection parameter'],
    [{ client_id: 5, access_token: 't', connection: 'c' }, 'the client_id parameter must be a string'],
    [{ client_id: 'a', access_token: ['t'], connection: 'c' }, 'the access_token parameter must be a string'],
    [{ client_id: 'a', access_token: 't', connection: { $ne: 1 } }, 'the connection parameter must be a string'],
    [{ client_id: 'a', access_token: 't', connection: 'c', scope: 7 }, 'the scope parameter must be a string'],
    [{ client_id: 'a'.repeat(300), access_token: 't', connection: 'c' }, 'the client_id parameter must be at most 256 characters'],
  ])('refuses %j with "%s"', (body, description) => {
    const error = failure(() => parseTokenRequest(json(body)));
    expect([error.status, error.error, error.description]).toEqual([400, 'invalid_request', description]);
  });

  it('refuses duplicated form keys (RFC 6749 section 3.2)', () => {
    const error = failure(() => parseTokenRequest(form('client_id=a&client_id=b&access_token=t&connection=c')));
    expect(error.description).toBe('the client_id parameter must not be repeated');
  });

  it('ignores unknown fields even when repeated', () => {
    expect(parseTokenRequest(form('device=a&device=b&client_id=a&access_token=t&connection=c'))).toEqual({
      client_id: 'a',
      access_token: 't',
      connection: 'c',
    });
  });

  it.each([
    ['text/plain', 'client_id=a'],
    ['application/xml', '<a/>'],
    [undefined, '{"client_id":"a"}'],
  ])('refuses content type %s', (contentType, text) => {
    const error = failure(() => parseTokenRequest({ contentType, text }));
    expect(error.status).toBe(400);
    expect(error.description).toMatch(/unsupported content type/);
  });

  it.each(['{not json', '[1,2]', '"string"', 'null', '42'])('refuses the JSON body %s', (text) => {
    const error = failure(() => parseTokenRequest({ contentType: 'application/json', text }));
    expect(error.status).toBe(400);
    expect(error.description).toMatch(/JSON/);
  });

  it('treats an empty body as missing parameters', () => {
    expect(failure(() => parseTokenRequest({ contentType: undefined, text: undefined })).description).toBe('missing client_id parameter');
  });

  it('refuses a body over the size limit before parsing it', () => {
    const error = failure(() => parseTokenRequest(json({ client_id: 'a', pad: 'x'.repeat(MAX_BODY_BYTES) })));
    expect(error.status).toBe(413);
  });

  it('says so when a JSON body is labelled as a form (curl -d without -H)', () => {
    const text = JSON.stringify({ client_id: 'a', access_token: 't', connection: 'c' });
    for (const body of [text, ` ${text}\n`, `\uFEFF${text}`]) {
      const error = failure(() => parseTokenRequest(form(body)));
      expect(error.status).toBe(400);
      expect(error.error).toBe('invalid_request');
      expect(error.description).toBe(
        'the body looks like JSON but the Content-Type is application/x-www-form-urlencoded: send Content-Type: application/json',
      );
    }
  });

  it('still reads a form body that merely starts with a brace', () => {
    expect(parseTokenRequest(form('{x=1&client_id=a&access_token=t&connection=c'))).toEqual({ client_id: 'a', access_token: 't', connection: 'c' });
  });

  it('accepts a JSON body that starts with a UTF-8 byte order mark', () => {
    const text = `\uFEFF${JSON.stringify({ client_id: 'a', access_token: 't', connection: 'c' })}`;
    expect(parseTokenRequest({ contentType: 'application/json', text })).toEqual({ client_id: 'a', access_token: 't', connection: 'c' });
    // As API Gateway hands it over: base64 of the raw bytes, BOM included.
    const decoded = Buffer.from(Buffer.from(text, 'utf8').toString('base64'), 'base64').toString('utf8');
    expect(parseTokenRequest({ contentType: 'application/json; charset=utf-8', text: decoded })).toEqual({
      client_id: 'a',
      access_token: 't',
      connection: 'c',
    });
  });

  it('keeps prototype keys as plain data', () => {
    const result = parseTokenRequest(form('__proto__=x&constructor=y&client_id=a&access_token=t&connection=c'));
    expect(result).toEqual({ client_id: 'a', access_token: 't', connection: 'c' });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
