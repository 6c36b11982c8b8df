import {
  DependencyTimeoutException,
  DisabledException,
  InvalidKeyUsageException,
  KMSInternalException,
  KMSInvalidStateException,
  KMSServiceException,
  KeyUnavailableException,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { OAuthError, errors } from '../../functions/core/errors.js';
import { callKms, kmsFailure } from '../../functions/tokens/kms-call.js';

const $metadata = {};
const serviceError = (name: string, status: number) =>
  new KMSServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
const networkError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
const namedError = (name: string) => Object.assign(new Error(name), { name });

describe('kmsFailure', () => {
  it.each([
    ['ThrottlingException', serviceError('ThrottlingException', 400)],
    ['KMSInternalException', new KMSInternalException({ $metadata, message: 'internal' })],
    ['DependencyTimeoutException', new DependencyTimeoutException({ $metadata, message: 'slow' })],
    ['KeyUnavailableException', new KeyUnavailableException({ $metadata, message: 'unavailable' })],
    ['DisabledException', new DisabledException({ $metadata, message: 'disabled' })],
    ['KMSInvalidStateException', new KMSInvalidStateException({ $metadata, message: 'pending deletion' })],
    ['an unmodelled 503', serviceError('ServiceUnavailable', 503)],
    ['HTTP 429', serviceError('TooManyRequests', 429)],
    ['a refused connection', networkError('ECONNREFUSED')],
    ['a reset connection', networkError('ECONNRESET')],
    ['an aborted call', namedError('AbortError')],
    ['a timed-out call', namedError('TimeoutError')],
  ])('maps %s to 503 temporarily_unavailable', (_case, cause) => {
    const failure = kmsFailure(cause);

    expect(failure).toBeInstanceOf(OAuthError);
    expect(failure).toMatchObject({
      status: 503,
      error: 'temporarily_unavailable',
      description: 'the signing service is unavailable',
      reason: 'kms_unavailable',
    });
    expect(failure.cause).toBe(cause);
  });

  it.each([
    ['NotFoundException', new NotFoundException({ $metadata, message: 'no such key' })],
    ['InvalidKeyUsageException', new InvalidKeyUsageException({ $metadata, message: 'wrong usage' })],
    ['AccessDeniedException', serviceError('AccessDeniedException', 400)],
    ['ValidationException', serviceError('ValidationException', 400)],
    ['a bug', new TypeError('undefined is not a function')],
    ['a thrown string', 'boom'],
  ])('maps %s to 500 Unexpected error', (_case, cause) => {
    expect(kmsFailure(cause)).toMatchObject({ status: 500, error: 'server_error', description: 'Unexpected error' });
  });

  it('passes an OAuthError through unchanged', () => {
    const original = errors.unexpected(new Error('config'));

    expect(kmsFailure(original)).toBe(original);
  });
});

describe('callKms', () => {
  it('returns what the call returns', async () => {
    await expect(callKms(1_000, async () => 'signed')).resolves.toBe('signed');
  });

  it('answers 503 when a call outlives its deadline, without waiting for it', async () => {
    const started = Date.now();

    const attempt = callKms(50, () => new Promise(() => undefined));

    await expect(attempt).rejects.toMatchObject({ status: 503, reason: 'kms_unavailable' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('maps a call that fails before its deadline like any KMS failure', async () => {
    const attempt = callKms(5_000, async () => Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException' })));

    await expect(attempt).rejects.toMatchObject({ status: 503, reason: 'kms_unavailable' });
  });

  it('leaves no unhandled rejection when the late call fails after the deadline', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const late = callKms(20, () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error('late')), 60)));
      await expect(late).rejects.toMatchObject({ status: 503 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
