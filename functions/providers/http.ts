import type { KyInstance } from 'ky';
import { errors, OAuthError } from '../core/errors.js';

export interface ProviderHttpOptions {
  /**
   * Time limit of one call in milliseconds (DESIGN section 4: default 5 s): every attempt,
   * the backoff between attempts and the body read together.
   */
  timeoutMs?: number;
  /** Extra attempts for idempotent calls on network errors and 5xx (never on 429: DESIGN section 12). */
  retries?: number;
  /** Called once per finished call, for latency metrics. Never receives URLs with queries. */
  observe?: (sample: { provider: string; endpoint: string; ms: number; status: number | 'error' }) => void;
  /** Injected fetch (tests, proxies); defaults to the global one. */
  fetch?: typeof fetch;
}

export interface ProviderCall {
  provider: string;
  /** Endpoint name from DESIGN section 3 (for logs/metrics; the URL may carry secrets). */
  endpoint: string;
  method: 'GET' | 'POST';
  url: string;
  searchParams?: Record<string, string>;
  headers?: Record<string, string>;
  /**
   * Headers computed afresh for every attempt, retries included: an OAuth 1.0a signature
   * carries a nonce and a timestamp, and a provider refuses a replayed nonce.
   */
  perAttemptHeaders?: () => Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Safe to repeat: retried on network errors and 5xx. */
  idempotent: boolean;
  /** A 2xx with an empty body is a valid answer (Apple's revoke), its body undefined. */
  emptyBodyOk?: boolean;
  /**
   * What an HTTP 429 from this endpoint limits (DESIGN section 12): 'app' for our whole app
   * (opens the connection's circuit), 'user' for this user or token only. A function reads the
   * answer's body. Default 'user': one throttled user must not stop sign-in for everyone.
   */
  rateLimitScope?: RateLimitScope | ((body: unknown) => RateLimitScope);
}

export type RateLimitScope = 'app' | 'user';

export interface ProviderResponse {
  status: number;
  /** Parsed JSON, or undefined when a 4xx answer had no JSON body. */
  body: unknown;
  /** `Cache-Control` of a 2xx answer, when it had one (a JWKS says how long to keep it). */
  cacheControl?: string;
}

export interface ProviderHttp {
  /**
   * Performs one provider call. Resolves with 2xx and 4xx answers (the adapter decides
   * what a 4xx means); rejects with a 503 OAuthError when the provider is unreachable,
   * times out, keeps answering 5xx, answers 429 (not retried, see `providerRateLimited`),
   * or sends a 2xx that is not JSON.
   */
  call(call: ProviderCall): Promise<ProviderResponse>;
}

export const DEFAULT_PROVIDER_TIMEOUT_MS = 5_000;

/**
 * A header value is bytes without NUL, CR or LF (RFC 9110 section 5.5); fetch refuses
 * anything else before sending. The only request-derived header content is the user's token
 * (a Bearer header), so such a value is a token no provider issued: a 401, not an outage.
 */
const UNSENDABLE_HEADER_VALUE = /[\0\r\n\u0100-\uffff]/;
/**
 * 429 is not among them: a provider that says "slow down" is obeyed at once, since each retry
 * spends more of the app's quota (DESIGN section 12).
 */
const RETRYABLE_STATUSES = [500, 502, 503, 504];

type KyModule = typeof import('ky');
let kyModule: KyModule | undefined;
let kyLoading: Promise<KyModule> | undefined;

/**
 * ky is loaded on first need rather than at import: its module body builds a `Request` to
 * probe for streaming bodies, and on Node that first touch of the fetch globals loads the
 * whole built-in fetch (undici with http2, worker_threads, perf_hooks, assert): about 25 ms
 * of CPU on a cold start, measured by `npm run bench`. The token functions start it with
 * `preloadProviderHttp` after the first request has gone as far as it can without waiting:
 * a request refused by the parser is answered first, a real one has its config read on the
 * wire, and the load runs while that answer travels. Any call waits for it.
 */
const loadKy = async (): Promise<KyModule> => {
  kyLoading ??= import('ky').then(
    (loaded) => (kyModule = loaded),
    (error: unknown) => {
      kyLoading = undefined; // the next call tries again
      throw error;
    },
  );
  return kyLoading;
};

/** Starts loading the HTTP client without waiting for it (see `loadKy`). Never rejects. */
export const preloadProviderHttp = (): void => void loadKy().catch(() => undefined);

export const createProviderHttp = (options: ProviderHttpOptions = {}): ProviderHttp => {
  const timeout = options.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  const retries = options.retries ?? 2;
  let client: KyInstance | undefined;
  const createClient = ({ default: ky }: KyModule): KyInstance => ky.create({
    timeout,
    throwHttpErrors: true,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    retry: {
      limit: retries,
      methods: ['get', 'post'],
      statusCodes: RETRYABLE_STATUSES,
      afterStatusCodes: [503],
      // A slow provider has already used its whole timeout: retrying would double the
      // request budget past what a login can wait for.
      retryOnTimeout: false,
      maxRetryAfter: 500,
      delay: (attempt) => 50 * 2 ** (attempt - 1),
      backoffLimit: 400,
      jitter: true,
    },
  });

  return {
    async call(call) {
      if (Object.values(call.headers ?? {}).some((value) => UNSENDABLE_HEADER_VALUE.test(value))) {
        throw errors.invalidProviderToken('provider_token_unsendable');
      }
      const ky = kyModule ?? (await loadKy());
      const { HTTPError, TimeoutError } = ky;
      client ??= createClient(ky);
      const started = performance.now();
      let status: number | 'error' = 'error';
      // ky's timeout covers one attempt up to the response headers; this deadline covers the
      // retries and the body as well, so a provider that stalls mid-body or keeps failing
      // slowly cannot stretch a login past the request budget. A timer rather than an abort
      // signal handed to ky: ky then merges two signals per call (AbortSignal.any) and fetch
      // follows them, which measured about 100 µs of CPU per call (tests/bench/sdk-cost.ts),
      // a tenth of an exchange's budget. Past the deadline no retry starts, a body still
      // arriving (or starting to arrive) is cancelled and its connection closed, and an
      // attempt in flight ends at ky's own timeout. A 4xx whose body stalls keeps its
      // meaning: the body is cancelled and the status decides, as when fetch was aborted.
      const deadlineAt = Date.now() + timeout;
      let pastDeadline = false;
      let readingErrorBody = false;
      let cancelBody: (() => void) | undefined;
      const readBody = (response: Response) =>
        readText(response, (cancel) => {
          cancelBody = cancel;
          if (pastDeadline) cancel();
        });
      const readErrorBody = (response: Response) => {
        readingErrorBody = true;
        return readBody(response);
      };
      const attempt = async (): Promise<ProviderResponse> => {
        try {
          const response = await client!(withQuery(call.url, call.searchParams), {
            method: call.method,
            headers: { accept: 'application/json', ...call.headers },
            ...(call.form ? { body: new URLSearchParams(call.form) } : {}),
            ...(call.idempotent ? {} : { retry: 0 }),
            hooks: {
              ...(call.perAttemptHeaders ? { beforeRequest: [setHeaders(call.perAttemptHeaders)] } : {}),
              beforeRetry: [() => stopPastDeadline(call, deadlineAt)],
            },
          });
          status = response.status;
          const text = await readBody(response);
          const cacheControl = response.headers.get('cache-control');
          if (call.emptyBodyOk && text.trim() === '') return { status, body: undefined };
          try {
            return { status, body: JSON.parse(text) as unknown, ...(cacheControl ? { cacheControl } : {}) };
          } catch (cause) {
            throw errors.unavailable(`${call.provider} answered with a malformed body`, 'provider_malformed', cause);
          }
        } catch (error) {
          if (error instanceof HTTPError) {
            status = error.response.status;
            if (status === 429) {
              const scope = typeof call.rateLimitScope === 'function' ? call.rateLimitScope(await readJsonOrUndefined(error.response, readErrorBody)) : (call.rateLimitScope ?? 'user');
              throw providerRateLimited(call.provider, scope, retryAfterOf(error.response.headers), safeCause(call, error));
            }
            if (status >= 400 && status < 500) {
              return { status, body: await readJsonOrUndefined(error.response, readErrorBody) };
            }
            throw errors.unavailable(`${call.provider} is unavailable (HTTP ${status})`, 'provider_unavailable', safeCause(call, error));
          }
          if (error instanceof OAuthError) throw error;
          if (error instanceof TimeoutError) throw timedOut(call, error);
          throw errors.unavailable(`${call.provider} could not be reached`, 'provider_unreachable', safeCause(call, error));
        }
      };
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          pastDeadline = true;
          cancelBody?.();
          // An error answer's body ends empty once cancelled and the attempt settles with its
          // status; anything else is a timeout.
          if (!readingErrorBody) reject(timedOut(call, Object.assign(new Error('deadline'), { name: 'TimeoutError' })));
        }, timeout);
      });
      const work = attempt();
      work.catch(() => undefined);
      try {
        return await Promise.race([work, expired]);
      } finally {
        clearTimeout(timer);
        options.observe?.({ provider: call.provider, endpoint: call.endpoint, ms: performance.now() - started, status });
      }
    },
  };
};

/**
 * ky's errors quote the full request URL, whose query carries the user's token and, for
 * Facebook, the app secret. Causes keep only the endpoint name and the error's kind.
 */
const safeCause = (call: ProviderCall, error: unknown): Error => {
  const kind = kyModule && error instanceof kyModule.HTTPError ? `HTTP ${error.response.status}` : ((error as Error)?.name ?? 'Error');
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  return new Error(`${call.provider} ${call.endpoint}: ${kind}${code ? ` (${code})` : ''}`);
};

const timedOut = (call: ProviderCall, error: unknown) =>
  errors.unavailable(`${call.provider} did not answer in time`, 'provider_timeout', safeCause(call, error));

/** A ky beforeRetry hook: throwing ends the call with that error instead of another attempt. */
const stopPastDeadline = (call: ProviderCall, deadlineAt: number): void => {
  if (Date.now() >= deadlineAt) throw timedOut(call, Object.assign(new Error('deadline'), { name: 'TimeoutError' }));
};

/**
 * Adds the call's parameters to the endpoint URL, keeping any query the configured URL
 * already has (a proxy key, say): ky's `searchParams` option would replace it.
 */
const withQuery = (url: string, params: Record<string, string> | undefined): string => {
  if (!params) return url;
  const target = new URL(url);
  for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
  return target.toString();
};

/** A ky beforeRequest hook: it runs before each attempt, so the headers are fresh each time. */
const setHeaders = (headers: () => Record<string, string>) => (request: Request) => {
  for (const [name, value] of Object.entries(headers())) request.headers.set(name, value);
};

const readJsonOrUndefined = async (response: Response, read: (response: Response) => Promise<string>): Promise<unknown> => {
  try {
    return JSON.parse(await read(response)) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * The body as text, read through a reader whose cancel is handed out first: a stream that
 * `response.text()` is reading is locked, so nothing else could cancel it, and a stalled
 * body would keep its connection open after the deadline has answered the request.
 */
const readText = async (response: Response, onReader: (cancel: () => void) => void): Promise<string> => {
  if (!response.body) return '';
  const reader = response.body.getReader();
  onReader(() => void reader.cancel().catch(() => undefined));
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
};

/** Reasons of a provider's "slow down"; the verifier opens the connection's circuit on the app one. */
export const RATE_LIMIT_REASONS: Readonly<Record<RateLimitScope, string>> = {
  app: 'provider_rate_limited_app',
  user: 'provider_rate_limited_user',
};

/** DESIGN section 12: the wait is the provider's when it gave one, else 30 s, and at most 60 s. */
export const DEFAULT_RATE_LIMIT_WAIT_SECONDS = 30;
export const MAX_RATE_LIMIT_WAIT_SECONDS = 60;

export const providerRateLimited = (provider: string, scope: RateLimitScope, waitSeconds?: number, cause?: unknown) =>
  errors.providerThrottled(
    scope === 'app' ? `${provider} is rate limiting this service; retry later` : `${provider} is rate limiting this user; retry later`,
    RATE_LIMIT_REASONS[scope],
    Math.min(MAX_RATE_LIMIT_WAIT_SECONDS, Math.max(1, waitSeconds ?? DEFAULT_RATE_LIMIT_WAIT_SECONDS)),
    cause,
  );

/**
 * Seconds to wait from `Retry-After` (RFC 9110 section 10.2.3: seconds or an HTTP date) or,
 * as X sends it, `x-rate-limit-reset` (epoch seconds); undefined when neither is usable.
 */
export const retryAfterOf = (headers: Headers, nowMs = Date.now()): number | undefined => {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.ceil((at - nowMs) / 1000);
  }
  const reset = headers.get('x-rate-limit-reset')?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.ceil(Number(reset) - nowMs / 1000);
  return undefined;
};
