import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.js';
import { buildHttpApiEvent, buildRestApiEvent, type EventOptions } from './api-gateway/events.js';
import { newApiId, newInvocationIds } from './api-gateway/ids.js';
import { invokeHandler } from './api-gateway/invoke.js';
import { MAX_BODY_BYTES, readBody, toGatewayRequest } from './api-gateway/request.js';
import { gatewayError, httpApiAnswer, restApiAnswer } from './api-gateway/responses.js';
import type { ApiRoute, GatewayRequest, HttpAnswer, PayloadVersion, RouteTarget } from './api-gateway/types.js';

export type { ApiRoute, LambdaHandler, PayloadVersion } from './api-gateway/types.js';
export { MAX_BODY_BYTES } from './api-gateway/request.js';

/**
 * A local stand-in for Amazon API Gateway in front of Lambda handlers: it builds the proxy
 * integration event (HTTP API payload 2.0 or REST API payload 1.0), invokes the handler with
 * a Lambda context, and maps the result back the way API Gateway does, errors included.
 * Local only: never imported by a Lambda handler.
 */
export interface ApiGatewayOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** '2.0' (HTTP API, default) or '1.0' (REST API). */
  payloadVersion?: PayloadVersion;
  /**
   * Stage name. Default `$default` for HTTP APIs (no path prefix) and `prod` for REST APIs
   * (the CDK defaults). A named stage prefixes every path, as in `/prod/oauth/access_token`,
   * and `url` includes it.
   */
  stage?: string;
  routes: ApiRoute[];
  /** Hand every non-empty body to the handler base64-encoded, whatever its Content-Type. */
  forceBase64?: boolean;
  /** REST API only: Content-Types whose bodies arrive base64-encoded (`image/*`, `*\/*` allowed). */
  binaryMediaTypes?: string[];
  /** Where the one-line failure notes go; default stderr. */
  log?: (line: string) => void;
}

export interface ApiGatewayHandle {
  /** Base URL including the stage prefix of a named stage, no trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const DEFAULT_STAGE: Record<PayloadVersion, string> = { '2.0': '$default', '1.0': 'prod' };

/** What each flavour answers when the integration fails (function error or malformed result). */
const INTEGRATION_FAILURE: Record<PayloadVersion, () => HttpAnswer> = {
  '2.0': () => gatewayError(500, 'Internal Server Error'),
  '1.0': () => gatewayError(502, 'Internal server error'),
};

export const startApiGateway = async (options: ApiGatewayOptions): Promise<ApiGatewayHandle> => {
  const version = options.payloadVersion ?? '2.0';
  const stage = options.stage ?? DEFAULT_STAGE[version];
  const stagePrefix = stage === '$default' ? '' : `/${stage}`;
  const apiId = newApiId();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const eventOptions: EventOptions = {
    forceBase64: options.forceBase64 ?? false,
    binaryMediaTypes: options.binaryMediaTypes ?? [],
  };

  const resolveRoute = (request: GatewayRequest): RouteTarget | undefined => {
    if (stagePrefix && !request.rawPath.startsWith(`${stagePrefix}/`)) return undefined;
    const path = request.rawPath.slice(stagePrefix.length);
    const sameMethod = (route: ApiRoute) => route.method.toUpperCase() === request.method;
    const candidates = options.routes.filter((route) => route.path === path);
    // An explicit method wins over ANY, as route selection does in API Gateway.
    const route = candidates.find(sameMethod) ?? candidates.find((candidate) => candidate.method.toUpperCase() === 'ANY');
    return route ? { route, path, stage } : undefined;
  };

  const handle = async (req: IncomingMessage): Promise<HttpAnswer> => {
    const body = await readBody(req, MAX_BODY_BYTES);
    if (!body) return gatewayError(413, 'Request Entity Too Large');
    const request = toGatewayRequest(req, body);
    const target = resolveRoute(request);
    if (!target) return gatewayError(404, 'Not Found');

    const ids = newInvocationIds(apiId, version === '1.0');
    const event =
      version === '2.0'
        ? buildHttpApiEvent(request, target, ids, eventOptions)
        : buildRestApiEvent(request, target, ids, eventOptions);
    const invocation = await invokeHandler(target.route, event, ids);
    const answer = invocation.ok
      ? (version === '2.0' ? httpApiAnswer : restApiAnswer)(invocation.result)
      : null;
    if (answer) return withRequestId(answer, version, ids.requestId);

    const what = invocation.ok ? 'returned a malformed response' : invocation.reason;
    log(`[api-gateway] ${target.route.method.toUpperCase()} ${target.route.path} (request ${ids.requestId}): handler ${what}`);
    return withRequestId(INTEGRATION_FAILURE[version](), version, ids.requestId);
  };

  const server = createServer((req, res) => {
    handle(req).then(
      (answer) => send(req, res, answer, version),
      () => send(req, res, INTEGRATION_FAILURE[version](), version),
    );
  });
  const listening = await listenOnLoopback(server, { ...options, keepsProcessAlive: true });

  return {
    url: `${listening.url}${stagePrefix}`,
    port: listening.port,
    close: listening.close,
  };
};

const withRequestId = (answer: HttpAnswer, version: PayloadVersion, requestId: string): HttpAnswer => {
  const header: [string, string] = version === '2.0' ? ['apigw-requestid', requestId] : ['x-amzn-RequestId', requestId];
  return { ...answer, headers: [...answer.headers, header] };
};

const send = (req: IncomingMessage, res: ServerResponse, answer: HttpAnswer, version: PayloadVersion) => {
  if (res.headersSent || res.destroyed) return;
  try {
    const grouped = new Map<string, { name: string; values: string[] }>();
    for (const [name, value] of answer.headers) {
      const entry = grouped.get(name.toLowerCase()) ?? { name, values: [] };
      entry.values.push(value);
      grouped.set(name.toLowerCase(), entry);
    }
    for (const { name, values } of grouped.values()) res.setHeader(name, values.length === 1 ? (values[0] as string) : values);
    if (answer.statusCode === 413) res.setHeader('connection', 'close');
    res.writeHead(answer.statusCode);
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  } catch {
    // A handler's header name or value that HTTP cannot carry: API Gateway rejects the response too.
    if (res.headersSent) return void res.destroy();
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    const failure = INTEGRATION_FAILURE[version]();
    res.writeHead(failure.statusCode, { 'content-type': 'application/json' });
    res.end(failure.body);
  }
};
