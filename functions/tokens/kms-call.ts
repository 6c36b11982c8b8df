import { errors, isOAuthError, type OAuthError } from '../core/errors.js';

/**
 * One place that turns a failed KMS call into the client-facing error: KMS being slow,
 * throttled, down or the key being switched off is a 503 the client may retry; anything
 * else (unknown key, wrong key usage, missing permission) is our misconfiguration, a 500.
 */
const UNAVAILABLE_ERRORS = new Set([
  'ThrottlingException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'DisabledException',
  'KMSInvalidStateException',
  // Raised by the SDK's HTTP handler rather than by KMS.
  'AbortError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const isUnavailable = (cause: unknown): boolean => {
  if (typeof cause !== 'object' || cause === null) return false;
  const { name, code, $fault, $metadata } = cause as SdkErrorShape;
  if (typeof name === 'string' && UNAVAILABLE_ERRORS.has(name)) return true;
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  const status = $metadata?.httpStatusCode;
  return $fault === 'server' || (typeof status === 'number' && (status >= 500 || status === 429));
};

export const kmsFailure = (cause: unknown): OAuthError => {
  if (isOAuthError(cause)) return cause;
  if (isUnavailable(cause)) return errors.unavailable('the signing service is unavailable', 'kms_unavailable', cause);
  return errors.unexpected(cause);
};

/**
 * Runs one KMS call under a deadline of its own, whatever the client's settings, so a
 * hung connection costs at most `timeoutMs` of the Lambda's time.
 *
 * A timer, not an abort signal: the SDK caches a client's resolved middleware only for
 * calls sent without options (`cacheMiddleware`), and any call with an `abortSignal`
 * empties that cache. Measured by `npm run bench` (tests/bench/sdk-cost.ts), a Sign with
 * a signal cost about twice the CPU of one on the cached handler. A call past the deadline
 * keeps running until the client's own limits end it (1.5 s per attempt, 3 attempts,
 * clients.ts); its late answer is dropped. A Sign that lands late signs a token nobody gets.
 */
export const callKms = async <T>(timeoutMs: number, call: () => Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    // Inside the try: a call that throws before it returns a promise is mapped as well.
    const work = call();
    work.catch(() => undefined);
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`KMS did not answer within ${timeoutMs} ms`), { name: 'TimeoutError' })), timeoutMs);
    });
    return await Promise.race([work, expired]);
  } catch (cause) {
    throw kmsFailure(cause);
  } finally {
    clearTimeout(timer);
  }
};
