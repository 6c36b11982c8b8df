import { errors, OAuthError } from '../core/errors.js';
import { createProviderHttp, RATE_LIMIT_REASONS, type ProviderHttpOptions } from './http.js';
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

/**
 * Dispatches a verification to the connection's adapter with one shared HTTP client.
 *
 * It also keeps one circuit per connection (DESIGN section 12): when a provider says our
 * *app* is over its limit (Graph code 4, Google's 429), every user's next call would be
 * refused too and would only spend more of the quota, so the connection answers 503 with
 * the remaining wait, without calling the provider, until the wait is over. Per-user limits
 * open nothing. The circuit lives in the container: each container learns it from its own
 * first refused call.
 */
export const createProviderVerifier = (options: VerifierOptions = {}): ProviderVerifier => {
  const http = createProviderHttp(options);
  const now = options.now ?? Date.now;
  const deadlineMs = options.deadlineMs ?? (options.timeoutMs ?? 5_000) + 2_000;
  const openUntil = new Map<string, number>();

  const verifyWithin: ProviderVerifier['verify'] = async (connection, request) => {
    const adapter = accessTokenAdapter(connection.strategy);
    if (!adapter) throw errors.invalidProviderToken('no_access_token_for_strategy');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(errors.unavailable(`${connection.strategy} did not answer in time`, 'provider_timeout')), deadlineMs);
    });
    try {
      return await Promise.race([adapter.verify(request, connection.options, { http, now }), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async verify(connection, request) {
      const closesAt = openUntil.get(connection.name);
      if (closesAt !== undefined) {
        if (closesAt > now()) throw errors.circuitOpen(connection.strategy, (closesAt - now()) / 1000);
        openUntil.delete(connection.name);
      }
      try {
        return await verifyWithin(connection, request);
      } catch (error) {
        if (error instanceof OAuthError && error.reason === RATE_LIMIT_REASONS.app && error.retryAfterSeconds !== undefined) {
          openUntil.set(connection.name, now() + error.retryAfterSeconds * 1000);
        }
        throw error;
      }
    },
  };
};
