import type { ApiRoute, InvocationIds } from './types.js';
import { callHandler, describeFailure, type ContextFields } from './lambda-context.js';

export const DEFAULT_FUNCTION_TIMEOUT_MS = 30_000;

export type Invocation = { ok: true; result: unknown } | { ok: false; reason: string };

const functionNameOf = (route: ApiRoute): string =>
  route.functionName ?? `local${route.path.replace(/[^A-Za-z0-9]+/g, '-')}`.replace(/-+$/, '');

/** The Lambda context fields of one invocation of `functionName`. */
export const contextFields = (
  functionName: string,
  ids: InvocationIds,
  timeoutMs: number,
  logStreamName = `${ids.now.toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${ids.awsRequestId.replaceAll('-', '')}`,
  memoryMb = 128,
): ContextFields => ({
  functionName,
  memoryLimitInMB: String(memoryMb),
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${ids.accountId}:function:${functionName}`,
  awsRequestId: ids.awsRequestId,
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName,
  deadline: Date.now() + timeoutMs,
});

/**
 * Calls an in-process handler the way the Lambda runtime does: the event crosses a JSON
 * boundary (so the handler never shares objects with the emulator), the result does too,
 * and the function's timeout applies.
 */
export const invokeHandler = async (route: ApiRoute, event: unknown, ids: InvocationIds): Promise<Invocation> => {
  const timeoutMs = route.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeout(timeoutMs)), timeoutMs);
  });
  try {
    const outcome = callHandler(route.handler, JSON.parse(JSON.stringify(event)), contextFields(functionNameOf(route), ids, timeoutMs));
    const result = await Promise.race([outcome, timedOut]);
    const serialized = JSON.stringify(result);
    return { ok: true, result: serialized === undefined ? undefined : JSON.parse(serialized) };
  } catch (error) {
    return { ok: false, reason: error instanceof FunctionTimeout ? timeoutPhrase(timeoutMs) : describeFailure(error) };
  } finally {
    clearTimeout(timer);
  }
};

export const timeoutPhrase = (timeoutMs: number) => `timed out after ${timeoutMs} ms`;

class FunctionTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super('timed out');
  }
}
