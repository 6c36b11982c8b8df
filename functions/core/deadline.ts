import { errors } from './errors.js';

/**
 * Each dependency has its own bound (provider call 5 s, DynamoDB and KMS about 3.5 s), but
 * a request can meet several of them in a row: a cold config read, the provider, the write
 * step and, for a linked identity, a second write step. This cap answers a 503 while the
 * token functions (15 s timeout at least, see infra/stack.ts) can still answer at all,
 * instead of letting Lambda cut the request off with a bare 502/504.
 */
export const REQUEST_DEADLINE_MS = 13_000;

/**
 * Abandoning the work leaves its writes running: they are idempotent and the token was
 * never handed out, so a write that lands late at most counts a login. Its late rejection
 * is silenced.
 */
export const withinDeadline = async <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(errors.unavailable('the request could not be completed in time', 'request_deadline')), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
};
