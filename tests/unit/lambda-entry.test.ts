import { afterEach, describe, expect, it } from 'vitest';

// The real entry points, with the environment a Lambda function would have (or lack).
describe('Lambda entry points', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it.each(['token', 'userinfo', 'discovery'])('%s answers a missing configuration with a bare 500', async (name) => {
    delete process.env.TABLE_NAME;
    const { handler } = (await import(`../../functions/${name}/handler.js`)) as { handler: (event: unknown) => Promise<{ statusCode: number; body: string }> };
    const result = await handler({ version: '2.0', rawPath: '/x', headers: {}, requestContext: { http: { method: 'GET' } } });
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({ error: 'server_error', error_description: 'Unexpected error' });
  });
});
