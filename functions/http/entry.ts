import { perContainer } from '../clients.js';
import { withInvocationContext, type InvocationLogContext } from '../core/logger.js';
import { errorResponse, type HttpResult } from './response.js';
import type { ApiGatewayEvent } from './event.js';

/** The part of the Lambda context the entry reads. */
export interface LambdaContextIds {
  awsRequestId?: string;
}

// Ids come from API Gateway and Lambda, but a client can send its own trace header: only
// id-shaped values of bounded length are logged.
const ID = /^[A-Za-z0-9._:=+/-]{1,128}$/;
const idOrUndefined = (value: unknown): string | undefined => (typeof value === 'string' && ID.test(value) ? value : undefined);

const traceHeaderOf = (event: ApiGatewayEvent): string | undefined => {
  for (const [name, value] of Object.entries(event.headers ?? {})) if (name.toLowerCase() === 'x-amzn-trace-id') return value ?? undefined;
  return undefined;
};

/** `Root=1-...;Parent=...;Sampled=1` → `1-...`: Lambda's variable first (active tracing), else the request's header. */
const traceIdOf = (event: ApiGatewayEvent): string | undefined => {
  const header = process.env._X_AMZN_TRACE_ID || traceHeaderOf(event);
  return idOrUndefined(/(?:^|;)\s*Root=([^;]+)/.exec(header ?? '')?.[1]);
};

export const invocationIds = (event: ApiGatewayEvent, context: LambdaContextIds | undefined, coldStart: boolean): InvocationLogContext => {
  const ids: InvocationLogContext = { cold_start: coldStart };
  const functionRequestId = idOrUndefined(context?.awsRequestId);
  const correlationId = idOrUndefined((event as { requestContext?: { requestId?: unknown } }).requestContext?.requestId);
  const traceId = traceIdOf(event);
  if (functionRequestId) ids.function_request_id = functionRequestId;
  if (correlationId) ids.correlation_id = correlationId;
  if (traceId) ids.xray_trace_id = traceId;
  return ids;
};

/**
 * A Lambda entry point: its dependencies are built on the first invocation and kept for the
 * container's life; a failure to build them (a configuration mistake) is answered like any
 * other unexpected error, as a 500 without details, instead of crashing the init phase.
 * Every line logged while it serves carries the invocation's ids (Lambda, API Gateway,
 * X-Ray) and whether it is the container's cold start.
 */
export const lambdaEntry =
  <Dependencies>(
    build: () => Dependencies,
    serve: (event: ApiGatewayEvent, deps: Dependencies) => Promise<HttpResult>,
  ): ((event: ApiGatewayEvent, context?: LambdaContextIds) => Promise<HttpResult>) => {
    const dependencies = perContainer(build);
    let coldStart = true;
    return async (event, context) => {
      const ids = invocationIds(event, context, coldStart);
      coldStart = false;
      return withInvocationContext(ids, async () => {
        let deps: Dependencies;
        try {
          deps = dependencies();
        } catch (error) {
          return errorResponse(error);
        }
        return serve(event, deps);
      });
    };
  };
