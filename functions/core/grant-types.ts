import { LEGACY_ACCESS_TOKEN_GRANT } from './errors.js';

/** The grants a client may be given in `grant_types` (DESIGN section 9); all off by default. */
export const GRANT_TYPES = {
  /** `POST /oauth/access_token` (DESIGN section 2). */
  legacyAccessToken: LEGACY_ACCESS_TOKEN_GRANT,
  /** RFC 8693 token exchange at `POST /oauth/token` (DESIGN section 10). */
  tokenExchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
  /** RFC 6749 section 6 at `POST /oauth/token` (DESIGN section 11). */
  refreshToken: 'refresh_token',
} as const;

export const KNOWN_GRANT_TYPES: readonly string[] = Object.values(GRANT_TYPES);

export const TOKEN_EXCHANGE_GRANT = GRANT_TYPES.tokenExchange;
export const REFRESH_TOKEN_GRANT = GRANT_TYPES.refreshToken;
