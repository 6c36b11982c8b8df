import type { HttpResult } from './response.js';

/**
 * Cross-origin access per route (DESIGN section 12; the Fetch standard's CORS protocol).
 * Token endpoints and /userinfo answer only the origins their client allows; the discovery
 * documents are public. Credentials mode is never offered: no cookie is involved anywhere,
 * and `Access-Control-Allow-Credentials` would only widen what a page may do.
 */
export interface CorsRoute {
  /** The route's methods, as a preflight lists them. */
  methods: readonly string[];
  /** 'client': origins the request's client allows; 'any': readable from every origin (`*`). */
  origins: 'client' | 'any';
}

/** Every route of the API with its policy; a new route adds one line here. */
export const CORS_ROUTES = {
  '/oauth/access_token': { methods: ['POST'], origins: 'client' },
  '/oauth/token': { methods: ['POST'], origins: 'client' },
  '/oauth/revoke': { methods: ['POST'], origins: 'client' },
  '/userinfo': { methods: ['GET', 'POST'], origins: 'client' },
  '/.well-known/openid-configuration': { methods: ['GET'], origins: 'any' },
  '/.well-known/jwks.json': { methods: ['GET'], origins: 'any' },
} as const satisfies Record<string, CorsRoute>;

export type CorsPath = keyof typeof CORS_ROUTES;

/** The paths that need an `OPTIONS` route: requests with JSON or a bearer header are preflighted. */
export const PREFLIGHT_PATHS = (Object.keys(CORS_ROUTES) as CorsPath[]).filter((path) => CORS_ROUTES[path].origins === 'client');

/** Request headers a page may send: a JSON body and a bearer token. */
const ALLOWED_HEADERS = 'Content-Type, Authorization';
/** Response headers a page may read beyond the CORS-safelisted ones. */
const EXPOSED_HEADERS = 'Retry-After, WWW-Authenticate';
/** How long a browser may reuse a preflight; Chromium caps this at 2 hours anyway. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * The answer to `OPTIONS`: 204 with the allow headers when the origin is allowed for some
 * client, a bare 204 otherwise (the browser then refuses the actual request). `Vary: Origin`
 * either way, so no cache hands one origin's answer to another.
 */
export const preflightResponse = (route: CorsRoute, origin: string | undefined, allowed: boolean): HttpResult => ({
  statusCode: 204,
  headers: {
    Vary: 'Origin',
    ...(origin !== undefined && allowed
      ? {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': [...route.methods, 'OPTIONS'].join(', '),
          'Access-Control-Allow-Headers': ALLOWED_HEADERS,
          'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
        }
      : {}),
  },
  body: '',
});

/**
 * Adds the CORS headers of an actual response. `clientOrigins` are the allowed origins of the
 * client the response belongs to (none when the client is not known).
 */
export const withCorsHeaders = (
  response: HttpResult,
  route: CorsRoute,
  origin: string | undefined,
  clientOrigins: readonly string[],
): HttpResult => {
  if (route.origins === 'any') {
    return { ...response, headers: { ...response.headers, 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSED_HEADERS } };
  }
  if (origin === undefined) return response;
  const allowed = clientOrigins.includes(origin);
  return {
    ...response,
    headers: {
      ...response.headers,
      Vary: 'Origin',
      ...(allowed ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSED_HEADERS } : {}),
    },
  };
};
