import type { ProviderHttp } from './http.js';
import type { NormalizedProfile as CoreNormalizedProfile, ProviderRequest } from '../core/profile.js';
import type { Strategy } from '../core/strategies.js';
import type { ConnectionOptions } from '../core/tenant.js';

export type { Strategy } from '../core/strategies.js';
export type { ConnectionOptions } from '../core/tenant.js';
/** The strategies verified through a provider access token (DESIGN section 4). */
export type AccessTokenStrategy = Exclude<Strategy, 'apple'>;

export type { ProfileClaims, ProviderRequest } from '../core/profile.js';
/** A profile as an adapter produces it: the provider is one of our strategies. */
export type NormalizedProfile = CoreNormalizedProfile<Strategy>;

export interface ProviderContext {
  http: ProviderHttp;
  /** The clock, in epoch milliseconds, so expiry checks are testable. */
  now: () => number;
}

/**
 * One file per provider implements this. `verify` must prove both that the token is
 * valid AND that it was issued to the app in `options` (token substitution defence),
 * throwing `errors.invalidProviderToken` when the provider rejects it and
 * `errors.unavailable` when the provider cannot be reached or answers nonsense.
 */
export interface ProviderAdapter {
  strategy: Strategy;
  /** Endpoint names with their real URLs (DESIGN section 3). */
  defaultEndpoints: Readonly<Record<string, string>>;
  /** Whether the exchange needs `access_token_secret` (OAuth 1.0a). */
  requiresTokenSecret: boolean;
  verify(request: ProviderRequest, options: ConnectionOptions, context: ProviderContext): Promise<NormalizedProfile>;
}

/** The URL for endpoint `name`, from the connection's overrides or the provider default. */
export const endpointUrl = (adapter: ProviderAdapter, options: ConnectionOptions, name: string): string => {
  const url = options.endpoints?.[name] ?? adapter.defaultEndpoints[name];
  if (url === undefined) throw new Error(`unknown endpoint ${name} for ${adapter.strategy}`);
  return url;
};
