import { afterEach, describe, expect, it } from 'vitest';
import { logger, redact, setLogSink } from '../../functions/core/logger.js';

describe('logger', () => {
  let restore: ((line: string) => void) | undefined;
  afterEach(() => {
    if (restore) setLogSink(restore);
  });

  it('redacts sensitive keys at any depth and provider query strings', () => {
    const lines: string[] = [];
    restore = setLogSink((line) => lines.push(line));
    logger.info('call', {
      access_token: 'tok-1',
      nested: { Authorization: 'Bearer tok-2', list: [{ client_secret: 'sec-3' }] },
      url: 'https://graph.facebook.com/v25.0/debug_token?input_token=tok-4&access_token=app|sec-5',
      error: new Error('failed https://x.test/me?appsecret_proof=sec-6'),
    });
    const text = lines.join('\n');
    for (const secret of ['tok-1', 'tok-2', 'sec-3', 'tok-4', 'sec-5', 'sec-6']) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', message: 'call', access_token: '[REDACTED]' });
  });

  it('leaves ordinary values alone', () => {
    expect(redact({ client_id: 'app', count: 2 })).toEqual({ client_id: 'app', count: 2 });
  });
});
