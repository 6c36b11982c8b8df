import { errors, tokenEndpointErrors } from './errors.js';
import { decodeFields, type RawBody } from './token-request.js';
import { tokenExchangeGrant, type TokenExchangeDependencies } from './grants/token-exchange.js';
import { refreshTokenGrant, type RefreshTokenDependencies } from './grants/refresh-token.js';
import type { ClientConfig } from './tenant.js';
import type { RequestContext, TenantDirectory } from './ports.js';

/**
 * `POST /oauth/token` (DESIGN section 9): one endpoint, one use case per grant. This file
 * only picks the grant and checks the client; each grant lives in core/grants/.
 */

/** RFC 6749 section 5.1 / RFC 8693 section 2.2.1 success body. */
export interface TokenEndpointResult {
  access_token: string;
  issued_token_type?: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
  id_token?: string;
  refresh_token?: string;
}

export interface GrantOutcome {
  result: TokenEndpointResult;
  userId: string;
  strategy?: string;
  connection?: string;
}

export type TokenEndpointDependencies = { tenants: TenantDirectory } & TokenExchangeDependencies & RefreshTokenDependencies;

/** A grant's use case: its own parameters, then its work for a client that may use it. */
export interface Grant<Request extends { client_id: string }> {
  grantType: string;
  /** Validates the grant's parameters (400 invalid_request naming the first problem). */
  parse(fields: Record<string, unknown>): Request;
  run(request: Request, client: ClientConfig, deps: TokenEndpointDependencies, context: RequestContext): Promise<GrantOutcome>;
}

const GRANTS: ReadonlyMap<string, Grant<{ client_id: string }>> = new Map<string, Grant<{ client_id: string }>>([
  [tokenExchangeGrant.grantType, tokenExchangeGrant as Grant<{ client_id: string }>],
  // Issue 13 (refresh tokens) replaces this stub; until then it answers unsupported_grant_type.
  [refreshTokenGrant.grantType, refreshTokenGrant as Grant<{ client_id: string }>],
]);

/** The body's fields that must not be repeated in a form (RFC 6749 section 3.2). */
const TOKEN_ENDPOINT_PARAMETERS = new Set([
  'grant_type',
  'client_id',
  'subject_token',
  'subject_token_type',
  'connection',
  'scope',
  'nonce',
  'user_profile',
  'access_token_secret',
  'audience',
  'resource',
  'refresh_token',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
]);

export interface ParsedTokenRequest {
  grant: Grant<{ client_id: string }>;
  request: { client_id: string };
}

/**
 * Body → grant and its parameters. The grant type is checked before anything else, so
 * an unknown grant (the legacy grant URI included) is `unsupported_grant_type` whatever
 * the other fields say.
 */
export const parseTokenEndpointRequest = (body: RawBody): ParsedTokenRequest => {
  const fields = decodeFields(body, TOKEN_ENDPOINT_PARAMETERS);
  const grantType = fields.grant_type;
  if (grantType === undefined || grantType === null || grantType === '') throw errors.missingParameter('grant_type');
  if (typeof grantType !== 'string') throw errors.badRequest('the grant_type parameter must be a string', 'invalid_parameter');
  const grant = GRANTS.get(grantType);
  if (!grant) throw tokenEndpointErrors.unsupportedGrantType(grantType.slice(0, 256));
  return { grant, request: grant.parse(fields) };
};

/** The dispatch: the client must exist (401) and hold the grant (400), then the grant runs. */
export const runTokenRequest = async (
  { grant, request }: ParsedTokenRequest,
  deps: TokenEndpointDependencies,
  context: RequestContext,
): Promise<GrantOutcome> => {
  const client = await deps.tenants.client(request.client_id);
  if (!client) throw tokenEndpointErrors.invalidClient();
  if (!client.grant_types.includes(grant.grantType)) throw tokenEndpointErrors.grantNotAllowed(grant.grantType);
  return grant.run(request, client, deps, context);
};
