import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { errors } from '../../core/errors.js';
import type { ProviderHttp } from '../http.js';

/**
 * A provider's signing keys, kept per container (DESIGN section 10):
 * - kept as long as the JWKS response's `Cache-Control: max-age` says, at most 24 h;
 * - a token whose `kid` is not in the set triggers a refetch only when the last fetch is
 *   at least `cooldownMs` old (60 s), so a stream of forged kids cannot make us hammer the
 *   provider, while a real rotation is picked up within a minute;
 * - a JWKS that cannot be fetched is a 503 (the shared provider HTTP client's bounded
 *   retries), never a refusal of the user's token.
 *
 * Our own cache rather than jose's createRemoteJWKSet: that one keeps keys for a fixed
 * time whatever the provider's Cache-Control says and does its own fetching, outside the
 * deadline, retry and metric policy every other provider call follows. jose still does the
 * key selection (createLocalJWKSet) and all of the JWS work.
 */
export interface JwksCacheOptions {
  http: ProviderHttp;
  now: () => number;
  cooldownMs?: number;
  /** Kept this long when the response names no max-age. */
  defaultMaxAgeMs?: number;
}

export const MAX_JWKS_AGE_MS = 24 * 60 * 60 * 1000;
export const JWKS_REFETCH_COOLDOWN_MS = 60_000;
const DEFAULT_MAX_AGE_MS = 60 * 60 * 1000;

interface Entry {
  keys: JWTVerifyGetKey;
  kids: Set<string>;
  fetchedAt: number;
  expiresAt: number;
}

export interface JwksCache {
  /** A jose key resolver for tokens of this provider's JWKS URL. */
  resolver(provider: string, url: string): JWTVerifyGetKey;
}

/** `max-age` of a Cache-Control value, in ms, within [0, 24 h]; undefined when absent. */
export const maxAgeOf = (cacheControl: string | undefined): number | undefined => {
  if (!cacheControl) return undefined;
  if (/(^|,)\s*(no-store|no-cache)\s*(,|$)/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(?:,|$)/i.exec(cacheControl);
  if (!match) return undefined;
  return Math.min(Number(match[1]) * 1000, MAX_JWKS_AGE_MS);
};

export const createJwksCache = (options: JwksCacheOptions): JwksCache => {
  const cooldownMs = options.cooldownMs ?? JWKS_REFETCH_COOLDOWN_MS;
  const entries = new Map<string, Entry>();
  // One fetch in flight per URL: a cold container's concurrent requests share it.
  const inflight = new Map<string, Promise<Entry>>();

  const fetchSet = (provider: string, url: string): Promise<Entry> => {
    const running = inflight.get(url);
    if (running) return running;
    const fetching = (async () => {
      const response = await options.http.call({ provider, endpoint: 'jwks', method: 'GET', url, idempotent: true });
      const body = response.body as Partial<JSONWebKeySet> | undefined;
      if (response.status !== 200 || !body || !Array.isArray(body.keys)) {
        throw errors.unavailable(`the ${provider} JWKS could not be read`, 'jwks_unavailable');
      }
      const set = { keys: body.keys.filter((key) => typeof key === 'object' && key !== null) };
      const fetchedAt = options.now();
      const maxAge = maxAgeOf(response.cacheControl) ?? options.defaultMaxAgeMs ?? DEFAULT_MAX_AGE_MS;
      const entry: Entry = {
        keys: createLocalJWKSet(set),
        kids: new Set(set.keys.map((key) => key.kid).filter((kid): kid is string => typeof kid === 'string')),
        fetchedAt,
        expiresAt: fetchedAt + maxAge,
      };
      entries.set(url, entry);
      return entry;
    })();
    inflight.set(url, fetching);
    fetching.then(
      () => inflight.delete(url),
      () => inflight.delete(url),
    );
    return fetching;
  };

  return {
    resolver(provider, url) {
      return async (header, token) => {
        let entry = entries.get(url);
        const now = options.now();
        if (!entry || entry.expiresAt <= now) entry = await fetchSet(provider, url);
        else if (header.kid !== undefined && !entry.kids.has(header.kid) && now - entry.fetchedAt >= cooldownMs) {
          entry = await fetchSet(provider, url);
        }
        return entry.keys(header, token);
      };
    },
  };
};
