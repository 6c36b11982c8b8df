import { errors } from '../core/errors.js';
import { createProviderHttp, type ProviderHttpOptions } from './http.js';
import { accessTokenAdapter } from './registry.js';
import type { ProviderVerifier } from '../core/ports.js';

export interface VerifierOptions extends ProviderHttpOptions {
  now?: () => number;
  /**
   * One deadline for a whole verification (all calls, retries included), so a provider that
   * keeps answering slowly cannot push the request past the Lambda timeout. Default: the
   * per-call timeout plus 2 s.
   */
  deadlineMs?: number;
}

/** Dispatches a verification to the connection's adapter with one shared HTTP client. */
export const createProviderVerifier = (options: VerifierOptions = {}): ProviderVerifier => {
  const http = createProviderHttp(options);
  const now = options.now ?? Date.now;
  const deadlineMs = options.deadlineMs ?? (options.timeoutMs ?? 5_000) + 2_000;
  return {
    async verify(connection, request) {
      const adapter = accessTokenAdapter(connection.strategy);
      if (!adapter) throw errors.invalidProviderToken('no_access_token_for_strategy');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(errors.unavailable(`${connection.strategy} did not answer in time`, 'provider_timeout')),
          deadlineMs,
        );
      });
      try {
        return await Promise.race([adapter.verify(request, connection.options, { http, now }), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
};
