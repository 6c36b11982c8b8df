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

export interface ApiRoute {
  /** HTTP method, or `ANY`. */
  method: string;
  /** Exact path, e.g. `/oauth/access_token` (no stage prefix, no path parameters). */
  path: string;
  handler: LambdaHandler;
  /** Shown in the Lambda context; default derived from the path. */
  functionName?: string;
  /** The function's timeout (context.getRemainingTimeInMillis counts down from it); default 30 s. */
  timeoutMs?: number;
}

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
  route: ApiRoute;
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
