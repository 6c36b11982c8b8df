import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback.js';
import { buildHttpApiEvent, buildRestApiEvent, type EventOptions } from './api-gateway/events.js';
import { newApiId, newInvocationIds } from './api-gateway/ids.js';
import { invokeHandler } from './api-gateway/invoke.js';
import { MAX_BODY_BYTES, readBody, toGatewayRequest } from './api-gateway/request.js';
import { gatewayError, httpApiAnswer, restApiAnswer } from './api-gateway/responses.js';
import { FunctionPool, type FunctionStats, type PoolInvocation } from './api-gateway/containers.js';
import { DEFAULT_FUNCTION_TIMEOUT_MS } from './api-gateway/invoke.js';
import {
  isModuleRoute,
  type GatewayRequest,
  type HttpAnswer,
  type ModuleRoute,
  type PayloadVersion,
  type Route,
  type RouteTarget,
} from './api-gateway/types.js';

export type { ApiRoute, HandlerModule, LambdaHandler, ModuleRoute, PayloadVersion, Route } from './api-gateway/types.js';
export type { FunctionStats } from './api-gateway/containers.js';
export { MAX_BODY_BYTES } from './api-gateway/request.js';
export { prebuildFunctions } from './api-gateway/bundles.js';

/**
 * Containers per function when nothing else is said: enough for a burst of a hundred
 * concurrent requests (the deployed stage's burst limit) without a throttle, few enough
 * for a laptop (a warm container is a worker thread of about 10 MB).
 */
export const DEFAULT_FUNCTION_CONCURRENCY = 100;

/** How the functions of module routes run: Lambda's concurrency model (api-gateway/containers.ts). */
export interface FunctionOptions {
  /** Containers per function at most, like a reserved concurrency; past it, 429. Default 100. */
  concurrency?: number;
  /** The functions' environment, read at each cold start; default none beyond this process's own. */
  environment?: () => Record<string, string>;
  /** Where the containers' output and the platform report lines go; default stdout. */
  log?: (line: string) => void;
  /** An idle container is reclaimed after this long; default 10 minutes. */
  idleMs?: number;
}

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
  /** In-process handlers (`handler`) or Lambda functions run in containers (`module`). */
  routes: Route[];
  functions?: FunctionOptions;
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
  /** Containers and invocations per function of the module routes. */
  functionStats(): FunctionStats[];
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

  const pools = createPools(options.routes, options.functions ?? {});
  await Promise.all([...pools.values()].map((pool) => pool.prepare()));

  const resolveRoute = (request: GatewayRequest): RouteTarget | undefined => {
    if (stagePrefix && !request.rawPath.startsWith(`${stagePrefix}/`)) return undefined;
    const path = request.rawPath.slice(stagePrefix.length);
    const sameMethod = (route: Route) => route.method.toUpperCase() === request.method;
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
    const { route } = target;
    const invocation: PoolInvocation = isModuleRoute(route)
      ? await pools.get(functionKey(route))!.invoke(event, ids)
      : await invokeHandler(route, event, ids);
    if ('throttled' in invocation) {
      log(`[api-gateway] ${route.method.toUpperCase()} ${route.path} (request ${ids.requestId}): throttled, every container of the function is busy (concurrency limit ${options.functions?.concurrency ?? DEFAULT_FUNCTION_CONCURRENCY})`);
      return withRequestId(THROTTLED(), version, ids.requestId);
    }
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
    functionStats: () => [...pools.values()].map((pool) => pool.snapshot()),
    close: async () => {
      await listening.close();
      await Promise.all([...pools.values()].map((pool) => pool.close()));
    },
  };
};

/**
 * A throttled invocation. Lambda refuses it with 429 TooManyRequestsException, which API
 * Gateway's proxy integration passes on as a 500 (AWS Lambda guide, "Handling Lambda errors
 * with an API Gateway API"); API Gateway's own throttling answers 429 "Too Many Requests".
 * The emulation answers the 429: the local limit is a capacity knob, and a client should
 * read "retry later", not "server error", when it is reached.
 */
const THROTTLED = () => gatewayError(429, 'Too Many Requests');

/** A function is its code and its name: routes naming the same module, export and name share one. */
const functionKey = (route: ModuleRoute) => `${route.functionName ?? ''}|${route.module.entry}#${route.module.export ?? 'handler'}`;

/** One pool per function (see functionKey). */
const createPools = (routes: readonly Route[], options: FunctionOptions): Map<string, FunctionPool> => {
  const pools = new Map<string, FunctionPool>();
  const settings = {
    concurrency: options.concurrency ?? DEFAULT_FUNCTION_CONCURRENCY,
    environment: options.environment ?? (() => ({})),
    log: options.log ?? ((line: string) => process.stdout.write(`${line}\n`)),
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
  };
  for (const route of routes) {
    if (!isModuleRoute(route) || pools.has(functionKey(route))) continue;
    const { entry } = route.module;
    const functionName = route.functionName ?? `local-${entry.replace(/\.[a-z]+$/, '').replace(/[^A-Za-z0-9]+/g, '-')}`.replace(/-+$/, '');
    pools.set(
      functionKey(route),
      new FunctionPool(
        {
          functionName,
          entry,
          exportName: route.module.export ?? 'handler',
          timeoutMs: route.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS,
          memoryMb: route.memoryMb ?? 128,
        },
        settings,
      ),
    );
  }
  return pools;
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
