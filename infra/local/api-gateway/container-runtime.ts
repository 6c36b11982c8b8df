import { parentPort, workerData } from 'node:worker_threads';
import { callHandler, describeFailure, type ContextFields } from './lambda-context.js';
import type { LambdaHandler } from './types.js';

/**
 * The inside of one emulated Lambda container (a worker thread): the init phase imports the
 * function's bundle, which builds its module-scope state (SDK clients, caches) for this
 * container alone; then it serves one invocation at a time, as the Lambda runtime does.
 * Bundled on its own by api-gateway/bundles.ts, so the worker needs no TypeScript loader.
 */
export interface ContainerData {
  /** file: URL of the function's bundle. */
  bundleUrl: string;
  exportName: string;
}

export type ToContainer = { type: 'invoke'; event: string; context: ContextFields };

export type FromContainer =
  | { type: 'ready' }
  | { type: 'init-failed'; reason: string }
  | { type: 'answer'; ok: true; result: string | null }
  | { type: 'answer'; ok: false; reason: string };

const port = parentPort!;
const { bundleUrl, exportName } = workerData as ContainerData;
const post = (message: FromContainer) => port.postMessage(message);

const init = async (): Promise<LambdaHandler> => {
  const module = (await import(bundleUrl)) as Record<string, unknown>;
  const handler = module[exportName];
  if (typeof handler !== 'function') throw new TypeError(`${exportName} is not a function`);
  return handler as LambdaHandler;
};

init().then(
  (handler) => {
    port.on('message', (message: ToContainer) => {
      // The event and the result cross a JSON boundary, as with the Lambda runtime API.
      callHandler(handler, JSON.parse(message.event), message.context)
        .then((result) => post({ type: 'answer', ok: true, result: JSON.stringify(result) ?? null }))
        .catch((error: unknown) => post({ type: 'answer', ok: false, reason: describeFailure(error) }));
    });
    post({ type: 'ready' });
  },
  (error: unknown) => post({ type: 'init-failed', reason: describeFailure(error) }),
);
