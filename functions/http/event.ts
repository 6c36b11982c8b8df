import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { errors } from '../core/errors.js';

/** What the handlers need from an API Gateway event, payload 1.0 (REST) or 2.0 (HTTP API). */
export interface HttpRequest {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The decoded body text, if any. */
  body: string | undefined;
  /** Host the client called, for deriving the issuer when none is configured. */
  domainName: string | undefined;
  stage: string | undefined;
}

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

const isV2 = (event: ApiGatewayEvent): event is APIGatewayProxyEventV2 =>
  (event as APIGatewayProxyEventV2).version === '2.0';

/**
 * Converts an event, refusing oversized bodies before decoding them (the size of the
 * base64 text bounds the decoded size, so nothing large is ever allocated).
 */
export const toHttpRequest = (event: ApiGatewayEvent, maxBodyBytes: number): HttpRequest => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  const raw = event.body ?? undefined;
  let body: string | undefined;
  if (raw !== undefined && raw !== null) {
    const encodedLimit = event.isBase64Encoded ? Math.ceil((maxBodyBytes * 4) / 3) + 4 : maxBodyBytes * 4;
    if (raw.length > encodedLimit) throw errors.payloadTooLarge(maxBodyBytes);
    body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (Buffer.byteLength(body, 'utf8') > maxBodyBytes) throw errors.payloadTooLarge(maxBodyBytes);
  }
  if (isV2(event)) {
    return {
      method: event.requestContext.http.method.toUpperCase(),
      path: event.rawPath,
      headers,
      body,
      domainName: event.requestContext.domainName,
      stage: event.requestContext.stage,
    };
  }
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    headers,
    body,
    domainName: event.requestContext?.domainName,
    stage: event.requestContext?.stage,
  };
};

/**
 * The issuer when none is configured: the base URL the client called. On an execute-api
 * host a named stage is part of that base path; behind a custom domain it is not (the API
 * mapping hides it).
 */
export const issuerFromRequest = (request: HttpRequest): string => {
  const host = request.headers.host ?? request.domainName ?? 'localhost';
  const local = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host);
  const base = `${local ? 'http' : 'https'}://${host}/`;
  const namedStage = request.stage !== undefined && request.stage !== '$default' ? request.stage : undefined;
  return namedStage && host.includes('.execute-api.') ? `${base}${namedStage}/` : base;
};
