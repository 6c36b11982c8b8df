import type { Context } from 'aws-lambda';
import type { LambdaHandler } from './types.js';

/**
 * What the Lambda runtime tells a handler about its invocation, in a form that crosses a
 * thread boundary (plain data; the context's functions are rebuilt on the other side).
 */
export interface ContextFields {
  functionName: string;
  memoryLimitInMB: string;
  invokedFunctionArn: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  /** Epoch ms at which the function times out. */
  deadline: number;
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * Calls a handler the way the Node.js Lambda runtime does: async, callback and
 * context.succeed/fail styles all settle the invocation. The caller owns the timeout.
 */
export const callHandler = (handler: LambdaHandler, event: unknown, fields: ContextFields): Promise<unknown> =>
  new Promise<unknown>((resolve, reject) => {
    const settle = (error: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: fields.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: fields.invokedFunctionArn,
      memoryLimitInMB: fields.memoryLimitInMB,
      awsRequestId: fields.awsRequestId,
      logGroupName: fields.logGroupName,
      logStreamName: fields.logStreamName,
      getRemainingTimeInMillis: () => Math.max(0, fields.deadline - Date.now()),
      done: (error?: Error, result?: unknown) => settle(error, result),
      fail: (error: Error | string) => settle(error instanceof Error ? error : new Error(String(error))),
      succeed: (result: unknown) => settle(undefined, result),
    };
    const returned = handler(event as never, context, settle);
    if (isPromiseLike(returned)) returned.then(resolve, reject);
    // A handler that declares no callback and returns synchronously has answered already.
    else if (handler.length < 3) resolve(returned);
  });

/**
 * One short phrase for the emulator's log. Only the error's class name: messages and stacks
 * may quote request data (tokens), and the log must never carry those.
 */
export const describeFailure = (error: unknown): string => {
  if (error instanceof Error) return `threw ${error.constructor.name || 'an error'}`;
  return `failed with a ${typeof error} value`;
};
