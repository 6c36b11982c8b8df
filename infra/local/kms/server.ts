import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { KeyStore } from './key-store.js';
import { listenOnLoopback } from '../loopback.js';
import { operations } from './operations.js';
import {
  KmsError,
  kmsErrors,
  operationOf,
  parseInput,
  readBody,
  regionOf,
  sendError,
  sendResult,
} from './protocol.js';

/**
 * A loopback endpoint that speaks the KMS wire protocol for the operations the service
 * uses, so the real `@aws-sdk/client-kms` (through `AWS_ENDPOINT_URL_KMS`) signs JWTs
 * locally and in tests. SigV4 signatures are not checked. Local only: never bundled.
 */
export type KmsFault = { kind: 'throttling' } | { kind: 'internal' } | { kind: 'hang' } | { kind: 'delay'; ms: number };

export interface KmsEndpointOptions {
  port?: number;
  host?: string;
  /** JSON file that keeps the keys across restarts; in memory when unset. */
  stateFile?: string;
}

export interface KmsEndpointHandle {
  /** e.g. http://127.0.0.1:40123 (no trailing slash): the SDK's `endpoint`. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Applies a fault to every following call (or to the first `times` of them). */
  setFault(fault: KmsFault | null, times?: number): void;
  /** Added in front of every answer, faults included. */
  setDelay(ms: number): void;
  calls: { operation: string }[];
}

export const startKmsEndpoint = async (options: KmsEndpointOptions = {}): Promise<KmsEndpointHandle> => {
  const store = KeyStore.open(options.stateFile);
  const calls: { operation: string }[] = [];
  let fault: KmsFault | null = null;
  let faultBudget = Number.POSITIVE_INFINITY;
  let delayMs = 0;

  const setFault = (next: KmsFault | null, times = Number.POSITIVE_INFINITY) => {
    fault = next;
    faultBudget = times;
  };

  const takeFault = (): KmsFault | null => {
    if (!fault || faultBudget <= 0) return null;
    faultBudget -= 1;
    const current = fault;
    if (faultBudget <= 0) fault = null;
    return current;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const operation = operationOf(req);
    calls.push({ operation: operation ?? '(none)' });
    if (delayMs > 0) await sleep(delayMs);

    const active = takeFault();
    if (active?.kind === 'hang') return; // never answers; close() destroys the socket
    if (active?.kind === 'delay') await sleep(active.ms);
    if (active?.kind === 'throttling') throw kmsErrors.throttling();
    if (active?.kind === 'internal') throw kmsErrors.internal();

    const implementation = operation === undefined ? undefined : operations[operation];
    if (!implementation) throw kmsErrors.unknownOperation();
    const output = await implementation(parseInput(body), { store, region: regionOf(req) });
    sendResult(res, output);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      // A bug in the emulator surfaces as KMS would report its own: an internal error.
      sendError(res, error instanceof KmsError ? error : kmsErrors.internal());
    });
  });

  const { url, port, close } = await listenOnLoopback(server, options);
  return {
    url,
    port,
    calls,
    setFault,
    setDelay: (ms) => {
      delayMs = ms;
    },
    close,
  };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
