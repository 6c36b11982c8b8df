import type { Context } from 'aws-lambda';

/**
 * A Lambda handler as the emulator invokes it. The event parameter is typed `never` so that
 * any handler fits, whichever event type it declares (APIGatewayProxyEventV2 or
 * APIGatewayProxyEvent); the optional callback lets callback-style handlers (still supported
 * on the Node 22 runtime) fit too.
 */
export type LambdaHandler = (
  event: never,
  context: Context,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown;

interface RouteBase {
  /** HTTP method, or `ANY`. */
  method: string;
  /** Exact path, e.g. `/oauth/access_token` (no stage prefix, no path parameters). */
  path: string;
  /** Shown in the Lambda context; default derived from the path (in-process) or the module (containers). */
  functionName?: string;
  /** The function's timeout (context.getRemainingTimeInMillis counts down from it); default 30 s. */
  timeoutMs?: number;
}

/** A route served by a function called in this process (tests of the emulation itself). */
export interface ApiRoute extends RouteBase {
  handler: LambdaHandler;
}

/** Where a Lambda function's code is: a handler module and its export, as in `index.handler`. */
export interface HandlerModule {
  /** Source file of the handler, absolute or relative to the project root (bundled as deployed). */
  entry: string;
  /** Exported handler function; default `handler`. */
  export?: string;
}

/**
 * A route served by a Lambda function emulated with containers: each container a worker
 * thread with its own instance of the bundled module (see api-gateway/containers.ts).
 * Routes naming the same module, export and functionName share one function and its
 * containers, as routes sharing one integration do on AWS.
 */
export interface ModuleRoute extends RouteBase {
  module: HandlerModule;
  /** Shown as the function's memory size (context, AWS_LAMBDA_FUNCTION_MEMORY_SIZE); default 128. */
  memoryMb?: number;
}

export type Route = ApiRoute | ModuleRoute;

export const isModuleRoute = (route: Route): route is ModuleRoute => 'module' in route;

export type PayloadVersion = '2.0' | '1.0';

/** The HTTP request as API Gateway received it, before any payload format is applied. */
export interface GatewayRequest {
  method: string;
  /** Path as sent (still percent-encoded), stage prefix included, no query string. */
  rawPath: string;
  /** Query string as sent, without the `?`. */
  rawQueryString: string;
  /** Header names and values in arrival order, names spelled as sent: [name, value, name, value, ...]. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** e.g. HTTP/1.1 */
  protocol: string;
  /** Port the client connected to (for X-Forwarded-Port). */
  localPort: number;
}

/** What the route resolution adds to a request: which route, under which stage. */
export interface RouteTarget {
  route: Route;
  /** Path without the stage prefix. */
  path: string;
  stage: string;
}

/** Per-invocation identifiers and time, shared by the event and the Lambda context. */
export interface InvocationIds {
  requestId: string;
  awsRequestId: string;
  apiId: string;
  accountId: string;
  now: Date;
}

/** An HTTP answer ready to be written. Header names may repeat (Set-Cookie). */
export interface HttpAnswer {
  statusCode: number;
  headers: Array<[string, string]>;
  body: Buffer;
}
