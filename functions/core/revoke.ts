import * as v from 'valibot';
import { errors, tokenEndpointErrors } from './errors.js';
import { hashAccessToken } from './issue-tokens.js';
import { decodeFields, requiredParameter, type RawBody } from './token-request.js';
import type { Clock, RefreshTokenStore, TenantDirectory } from './ports.js';

/**
 * `POST /oauth/revoke` (RFC 7009, DESIGN section 11): revoking a refresh token ends its
 * whole family, and with it every access token issued from the family (`/userinfo` checks
 * the family of a token that has one).
 */
export interface RevokeDependencies {
  tenants: Pick<TenantDirectory, 'client'>;
  refreshTokens: Pick<RefreshTokenStore, 'find' | 'revokeFamily'>;
  clock: Clock;
}

export interface RevokeRequest {
  client_id: string;
  token: string;
}

const RevokeSchema = v.object({
  client_id: requiredParameter('client_id', 256),
  token: requiredParameter('token', 512),
});

// RFC 7009 section 2.1: token_type_hint is optional; we revoke refresh tokens only, so it is ignored.
const REVOKE_PARAMETERS = new Set(['client_id', 'token', 'token_type_hint']);

export const parseRevokeRequest = (body: RawBody): RevokeRequest => {
  const result = v.safeParse(RevokeSchema, decodeFields(body, REVOKE_PARAMETERS), { abortEarly: true });
  if (!result.success) throw errors.badRequest(result.issues[0]?.message ?? 'the request is invalid', 'invalid_parameter');
  return result.output;
};

export type RevokeOutcome = 'revoked' | 'unknown';

export const revokeToken = async (request: RevokeRequest, deps: RevokeDependencies): Promise<RevokeOutcome> => {
  const client = await deps.tenants.client(request.client_id);
  if (!client) throw tokenEndpointErrors.invalidClient();
  const record = await deps.refreshTokens.find(hashAccessToken(request.token));
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  // RFC 7009 section 2.2: an unknown or expired token is answered like a revoked one.
  if (!record || record.familyExpiresAt <= now) return 'unknown';
  // Section 2.1: the server verifies the token was issued to the client asking.
  if (record.clientId !== client.client_id) throw errors.badRequest('the token was issued to another client', 'revoke_other_client');
  await deps.refreshTokens.revokeFamily({ userId: record.userId, familyId: record.familyId, now });
  return 'revoked';
};
