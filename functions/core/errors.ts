/**
 * The one error type of the service. Every failure that reaches a client is an
 * OAuthError; `render` (functions/http/response.ts) turns it into the OAuth JSON body
 * (RFC 6749 section 5.2). Anything else collapses into `unexpected()` so internals never leak.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'invalid_token'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'too_many_requests'
  | 'access_denied'
  // RFC 6749 section 5.2 and RFC 8693 section 2.2.2, for POST /oauth/token (DESIGN section 9).
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unauthorized';

export class OAuthError extends Error {
  override readonly name = 'OAuthError';

  constructor(
    readonly status: number,
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** Machine-readable cause for audit logs and metrics; never sent to the client. */
    readonly reason: string = error,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(description, options === undefined ? undefined : { cause: options.cause });
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds));
  }

  /** Sent as `Retry-After` (RFC 9110 section 10.2.3) with 429s and the 503s that know when to come back. */
  readonly retryAfterSeconds?: number;

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const isOAuthError = (value: unknown): value is OAuthError => value instanceof OAuthError;

/** Reason of a refusal made without calling the provider (open circuit): not a failed attempt. */
export const PROVIDER_CIRCUIT_OPEN = 'provider_circuit_open';

/** Whether a failed verification cost a provider call, so it counts against the caller's limit. */
export const costProviderCall = (error: unknown): boolean =>
  !(error instanceof OAuthError && (error.reason === PROVIDER_CIRCUIT_OPEN || error.status === 429));

export const LEGACY_ACCESS_TOKEN_GRANT = 'http://auth0.com/oauth/legacy/grant-type/access_token';

/** Auth0's error table (DESIGN section 2). The strings are part of the contract. */
export const errors = {
  missingParameter: (name: string) =>
    new OAuthError(400, 'invalid_request', `missing ${name} parameter`, 'missing_parameter'),
  badRequest: (description: string, reason = 'bad_request') =>
    new OAuthError(400, 'invalid_request', description, reason),
  payloadTooLarge: (limitBytes: number) =>
    new OAuthError(413, 'invalid_request', `the request body is larger than ${limitBytes} bytes`, 'body_too_large'),
  connectionNotFound: () =>
    new OAuthError(400, 'invalid_request', 'the connection was not found', 'connection_not_found'),
  connectionDisabled: () =>
    new OAuthError(400, 'invalid_request', 'the connection was disabled', 'connection_disabled'),
  invalidProviderToken: (reason: string, cause?: unknown) =>
    new OAuthError(401, 'invalid_request', 'invalid access_token: invalid_token', reason, { cause }),
  invalidClient: () => new OAuthError(403, 'unauthorized_client', 'invalid client', 'invalid_client'),
  grantNotAllowed: () =>
    new OAuthError(
      403,
      'unauthorized_client',
      `Grant type '${LEGACY_ACCESS_TOKEN_GRANT}' not allowed for the client.`,
      'grant_not_allowed',
    ),
  /** RFC 6750 section 3.1: a bearer token that is missing, unknown or expired. */
  invalidBearerToken: (description = 'the access token is missing, unknown or expired') =>
    new OAuthError(401, 'invalid_token', description, 'invalid_bearer_token'),
  unavailable: (description: string, reason: string, cause?: unknown) =>
    new OAuthError(503, 'temporarily_unavailable', description, reason, { cause }),
  /** DESIGN section 12: over a per-IP or per-client limit, answered before any provider call. */
  tooManyRequests: (description: string, reason: string, retryAfterSeconds: number) =>
    new OAuthError(429, 'too_many_requests', description, reason, { retryAfterSeconds }),
  /** A provider said "slow down": 503 with the provider's own wait when it gave one. */
  providerThrottled: (description: string, reason: string, retryAfterSeconds: number, cause?: unknown) =>
    new OAuthError(503, 'temporarily_unavailable', description, reason, { cause, retryAfterSeconds }),
  /** A provider's app-wide limit was hit moments ago: no call is made until the circuit closes. */
  circuitOpen: (provider: string, retryAfterSeconds: number) =>
    new OAuthError(503, 'temporarily_unavailable', `${provider} is rate limiting this service; retry later`, PROVIDER_CIRCUIT_OPEN, { retryAfterSeconds }),
  /** Behind CloudFront: a request that did not come through the distribution (DESIGN section 12). */
  notThroughEdge: () =>
    new OAuthError(403, 'access_denied', 'requests must come through the service URL', 'origin_verify_missing'),
  unexpected: (cause?: unknown) =>
    new OAuthError(500, 'server_error', 'Unexpected error', 'unexpected', { cause }),
} as const;

/**
 * The error table of `POST /oauth/token` (DESIGN section 9), where RFC 6749 section 5.2
 * replaces the legacy endpoint's Auth0 codes. The strings are part of the contract.
 */
export const tokenEndpointErrors = {
  unsupportedGrantType: (grantType: string) =>
    new OAuthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grantType}`, 'unsupported_grant_type'),
  /** RFC 6749 section 5.2: an unknown client is 401 invalid_client at the token endpoint. */
  invalidClient: () => new OAuthError(401, 'invalid_client', 'invalid client', 'invalid_client'),
  grantNotAllowed: (grantType: string) =>
    new OAuthError(400, 'unauthorized_client', `Grant type '${grantType}' not allowed for the client.`, 'grant_not_allowed'),
  unsupportedSubjectTokenType: () =>
    new OAuthError(400, 'invalid_request', 'unsupported subject_token_type', 'unsupported_subject_token_type'),
  subjectTokenTypeNotAccepted: () =>
    new OAuthError(400, 'invalid_request', 'the connection does not accept this subject_token_type', 'subject_token_type_not_accepted'),
  invalidUserProfile: () => new OAuthError(400, 'invalid_request', 'invalid user_profile', 'invalid_user_profile'),
  connectionRequired: () => new OAuthError(400, 'invalid_request', 'connection is required', 'connection_required'),
  invalidTarget: (parameter: string) =>
    new OAuthError(
      400,
      'invalid_target',
      `the ${parameter} parameter is not supported: this endpoint issues only its own opaque access token`,
      'invalid_target',
    ),
  /** `reason` says which check failed (for audit logs and metrics); the client sees one sentence. */
  invalidSubjectToken: (reason: string, cause?: unknown) =>
    new OAuthError(400, 'invalid_grant', 'invalid subject_token', reason, { cause }),
  invalidRefreshToken: (reason = 'invalid_refresh_token') =>
    new OAuthError(400, 'invalid_grant', 'invalid refresh_token', reason),
  invalidScope: (description: string) => new OAuthError(400, 'invalid_scope', description, 'invalid_scope'),
  userBlocked: () => new OAuthError(401, 'unauthorized', 'user is blocked', 'user_blocked'),
} as const;
