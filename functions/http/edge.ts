import { constantTimeEqual } from '../core/constant-time.js';
import { errors } from '../core/errors.js';
import type { OriginDirectory } from '../core/ports.js';
import { preflightResponse, withCorsHeaders, type CorsRoute } from './cors.js';
import { errorResponse, type HttpResult } from './response.js';
import type { ApiGatewayEvent } from './event.js';

/**
 * The edge of every route, in one place (DESIGN section 12): the origin-verify secret when the
 * API sits behind CloudFront, the caller's IP, preflights, and the CORS headers of the answer.
 * A handler wrapped here serves only its own method and learns the IP from `RequestEdge`.
 */
export interface EdgeDependencies {
  /** Allowed origins of the clients; without it no cross-origin request is allowed. */
  origins?: OriginDirectory;
  /**
   * Set when CloudFront fronts the API (`-c edge=waf`): every request must carry it in
   * ORIGIN_VERIFY_HEADER, since the execute-api URL stays reachable; and only such requests
   * may name the viewer's address.
   */
  originVerifySecret?: string;
}

export interface RequestEdge {
  /** The caller's IP: the viewer's behind CloudFront, else API Gateway's source IP. */
  sourceIp: string | undefined;
  /** Says which client the answer belongs to: that client's allowed origins decide its CORS headers. */
  attribute(clientId: string): void;
}

export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';
/** `IP:port` of the viewer, added by CloudFront when the origin request policy names it. */
export const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';

export type EdgeHandler<Deps> = (event: ApiGatewayEvent, deps: Deps) => Promise<HttpResult>;

export const withEdge =
  <Deps extends { edge?: EdgeDependencies }>(
    route: CorsRoute,
    serve: (event: ApiGatewayEvent, deps: Deps, edge: RequestEdge) => Promise<HttpResult>,
  ): EdgeHandler<Deps> =>
  async (event, deps) => {
    const { method, headers, sourceIp } = requestMeta(event);
    const settings = deps.edge ?? {};
    const secret = settings.originVerifySecret;
    const throughEdge = secret !== undefined && secret !== '' && constantTimeEqual(headers[ORIGIN_VERIFY_HEADER] ?? '', secret);
    if (secret !== undefined && secret !== '' && !throughEdge) return errorResponse(errors.notThroughEdge());

    const origin = headers.origin;
    if (method === 'OPTIONS' && route.origins === 'client') {
      try {
        const allowed = origin !== undefined && settings.origins !== undefined && (await settings.origins.anyClientAllows(origin));
        return preflightResponse(route, origin, allowed);
      } catch (error) {
        return errorResponse(error);
      }
    }

    let clientOrigins: Promise<readonly string[]> | undefined;
    const edge: RequestEdge = {
      sourceIp: (throughEdge ? viewerIp(headers[VIEWER_ADDRESS_HEADER]) : undefined) ?? sourceIp,
      attribute(clientId) {
        // Started at once, so the read (cold cache only) overlaps the handler's own work.
        if (origin === undefined || clientOrigins !== undefined || settings.origins === undefined) return;
        clientOrigins = settings.origins.ofClient(clientId).catch(() => []);
      },
    };
    const response = await serve(event, deps, edge);
    return withCorsHeaders(response, route, origin, clientOrigins === undefined ? [] : await clientOrigins);
  };

const requestMeta = (event: ApiGatewayEvent) => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  if ('version' in event && event.version === '2.0') {
    return { method: event.requestContext.http.method.toUpperCase(), headers, sourceIp: event.requestContext.http.sourceIp || undefined };
  }
  const v1 = event as Extract<ApiGatewayEvent, { httpMethod: string }>;
  return { method: v1.httpMethod.toUpperCase(), headers, sourceIp: v1.requestContext?.identity?.sourceIp || undefined };
};

/**
 * `CloudFront-Viewer-Address` is `IP:port` (an IPv6 address keeps its colons, without
 * brackets): the IP is everything before the last colon.
 */
export const viewerIp = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const at = value.lastIndexOf(':');
  const ip = (at > 0 ? value.slice(0, at) : value).replace(/^\[|\]$/g, '').trim();
  return /^[0-9A-Fa-f.:]{2,45}$/.test(ip) ? ip : undefined;
};
