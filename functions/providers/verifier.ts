import { createProviderHttp, type ProviderHttpOptions } from './http.js';
import { providers } from './registry.js';
import type { ProviderVerifier } from '../core/ports.js';

/** Dispatches a verification to the connection's adapter with one shared HTTP client. */
export const createProviderVerifier = (options: ProviderHttpOptions & { now?: () => number } = {}): ProviderVerifier => {
  const http = createProviderHttp(options);
  const now = options.now ?? Date.now;
  return {
    verify: (connection, request) => providers[connection.strategy].verify(request, connection.options, { http, now }),
  };
};
