import { afterEach, describe, expect, it } from 'vitest';

// The real entry points, with the environment a Lambda function would have (or lack).
describe('Lambda entry points', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  const entries = {
    token: () => import('../../functions/token/handler.js'),
    userinfo: () => import('../../functions/userinfo/handler.js'),
    discovery: () => import('../../functions/discovery/handler.js'),
  };

  it.each(Object.keys(entries) as Array<keyof typeof entries>)('%s answers a missing configuration with a bare 500', async (name) => {
    delete process.env.TABLE_NAME;
    const { handler } = await entries[name]();
    const result = await handler({ version: '2.0', rawPath: '/x', headers: {}, requestContext: { http: { method: 'GET' } } } as never);
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({ error: 'server_error', error_description: 'Unexpected error' });
  });
});
