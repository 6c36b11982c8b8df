import {
  DependencyTimeoutException,
  DisabledException,
  InvalidKeyUsageException,
  KMSInternalException,
  KMSInvalidStateException,
  KMSServiceException,
  KeyUnavailableException,
  NotFoundException,
  SignCommand,
} from '@aws-sdk/client-kms';
import { describe, expect, it, vi } from 'vitest';
import { kmsOnFirstUse } from '../../functions/clients.js';
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

  it('clears its timer whether the call answers in time or not', async () => {
    vi.useFakeTimers();
    try {
      await expect(callKms(1_000, async () => 'signed')).resolves.toBe('signed');
      expect(vi.getTimerCount()).toBe(0);

      const late = callKms(1_000, () => new Promise(() => undefined));
      const settled = expect(late).rejects.toMatchObject({ status: 503 });
      await vi.advanceTimersByTimeAsync(1_000);
      await settled;
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('maps a call that throws before returning a promise', async () => {
    const attempt = callKms(1_000, () => {
      throw Object.assign(new Error('no connection'), { code: 'ECONNREFUSED' });
    });

    await expect(attempt).rejects.toMatchObject({ status: 503, reason: 'kms_unavailable' });
  });
});

describe('kmsOnFirstUse', () => {
  it('refuses options, which would empty the client middleware cache', () => {
    const kms = kmsOnFirstUse('http://127.0.0.1:9');
    const command = new SignCommand({ KeyId: 'k', Message: Buffer.from('x'), SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' });

    expect(() => kms.send(command, { abortSignal: AbortSignal.timeout(1_000) })).toThrow(/carry no options/);
  });
});
