import type { ProviderHttp } from './http.js';
import type { NormalizedProfile as CoreNormalizedProfile, ProviderRequest } from '../core/profile.js';

export type Strategy = 'facebook' | 'google-oauth2' | 'twitter' | 'weibo';

/** `options` of a connection in the tenant file (DESIGN section 3). */
export interface ConnectionOptions {
  /** Facebook app id, Google OAuth client id, Twitter consumer key, Weibo app key. */
  client_id: string;
  /** Facebook app secret, Google client secret, Twitter consumer secret, Weibo app secret. */
  client_secret: string;
  /** Provider URLs by endpoint name; missing names fall back to the real provider URLs. */
  endpoints?: Record<string, string>;
  /** Google: extra OAuth client ids (Android, iOS) whose tokens are ours too. */
  allowed_audiences?: string[];
}

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
