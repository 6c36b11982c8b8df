import { tokenEndpointErrors } from '../errors.js';
import { REFRESH_TOKEN_GRANT } from '../grant-types.js';
import type { Grant } from '../token-endpoint.js';

/**
 * ISSUE 13 PLUGS IN HERE: `grant_type=refresh_token` (DESIGN section 11).
 *
 * Until refresh tokens exist this stub answers 400 unsupported_grant_type, before the
 * client is looked up, exactly as for any grant this endpoint does not know. Issue 13
 * replaces `parse` and `run` (and extends RefreshTokenDependencies with its ports).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RefreshTokenDependencies {}

export interface RefreshTokenRequest {
  client_id: string;
}

export const refreshTokenGrant: Grant<RefreshTokenRequest> = {
  grantType: REFRESH_TOKEN_GRANT,
  parse() {
    throw tokenEndpointErrors.unsupportedGrantType(REFRESH_TOKEN_GRANT);
  },
  run() {
    return Promise.reject(tokenEndpointErrors.unsupportedGrantType(REFRESH_TOKEN_GRANT));
  },
};
