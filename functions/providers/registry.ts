import { facebook } from './facebook.js';
import { google } from './google.js';
import { twitter } from './twitter.js';
import { weibo } from './weibo.js';
import type { AccessTokenStrategy, ProviderAdapter } from './types.js';

/**
 * The access-token adapters (DESIGN section 4). Which strategies exist is data in
 * core/strategies.ts; ID tokens and Apple codes are verified by providers/id-token/.
 */
export const providers: Readonly<Record<AccessTokenStrategy, ProviderAdapter>> = {
  facebook,
  'google-oauth2': google,
  twitter,
  weibo,
};

/** The adapter that verifies this strategy's access tokens, if it has any. */
export const accessTokenAdapter = (strategy: string): ProviderAdapter | undefined =>
  Object.hasOwn(providers, strategy) ? providers[strategy as AccessTokenStrategy] : undefined;
