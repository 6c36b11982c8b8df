import type { Context } from 'aws-lambda';
import type { ApiRoute, InvocationIds } from './types.js';

export const DEFAULT_FUNCTION_TIMEOUT_MS = 30_000;

export type Invocation = { ok: true; result: unknown } | { ok: false; reason: string };

const functionNameOf = (route: ApiRoute): string =>
  route.functionName ?? `local${route.path.replace(/[^A-Za-z0-9]+/g, '-')}`.replace(/-+$/, '');

/**
 * Calls a handler the way the Lambda runtime does: the event crosses a JSON boundary (so the
 * handler never shares objects with the emulator), the result does too, and the function's
 * timeout applies. Async, callback and context.succeed/fail styles all settle the invocation.
 */
export const invokeHandler = async (route: ApiRoute, event: unknown, ids: InvocationIds): Promise<Invocation> => {
  const timeoutMs = route.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const functionName = functionNameOf(route);
  let timer: NodeJS.Timeout | undefined;

  const outcome = new Promise<unknown>((resolve, reject) => {
    const settle = (error: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:${ids.accountId}:function:${functionName}`,
      memoryLimitInMB: '128',
      awsRequestId: ids.awsRequestId,
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `${ids.now.toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${ids.awsRequestId.replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: (error?: Error, result?: unknown) => settle(error, result),
      fail: (error: Error | string) => settle(error instanceof Error ? error : new Error(String(error))),
      succeed: (result: unknown) => settle(undefined, result),
    };
    const returned = route.handler(JSON.parse(JSON.stringify(event)) as never, context, settle);
    if (isPromiseLike(returned)) returned.then(resolve, reject);
    // A handler that declares no callback and returns synchronously has answered already.
    else if (route.handler.length < 3) resolve(returned);
    timer = setTimeout(() => reject(new FunctionTimeout(timeoutMs)), timeoutMs);
  });

  try {
    const result = await outcome;
    const serialized = JSON.stringify(result);
    return { ok: true, result: serialized === undefined ? undefined : JSON.parse(serialized) };
  } catch (error) {
    return { ok: false, reason: describeFailure(error) };
  } finally {
    clearTimeout(timer);
  }
};

class FunctionTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super('timed out');
  }
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * One short phrase for the emulator's log. Only the error's class name: messages and stacks
 * may quote request data (tokens), and the log must never carry those.
 */
const describeFailure = (error: unknown): string => {
  if (error instanceof FunctionTimeout) return `timed out after ${error.timeoutMs} ms`;
  if (error instanceof Error) return `threw ${error.constructor.name || 'an error'}`;
  return `failed with a ${typeof error} value`;
};
