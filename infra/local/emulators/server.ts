import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../loopback.js';

/**
 * Shared plumbing of the provider emulators: a loopback HTTP server with a call log
 * and switchable faults, so tests and `npm start` can make a provider slow, failing,
 * rate-limited, garbled or rude. Local only: never imported by a Lambda handler.
 */
export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'garbage' }
  | { kind: 'reset' }
  | { kind: 'delay'; ms: number }
  /**
   * The provider's own "slow down" answer (DESIGN section 12), in its real shape: 'app' for
   * our app's whole budget (Graph code 4, Google's 429), 'user' for one user's (Graph code 17,
   * X's 429 code 88). Emulators without such an answer treat it as a plain 429.
   */
  | { kind: 'rate-limit'; scope: 'app' | 'user' };

/** Per-provider answers to the named faults. */
export interface EmulatorFaultAnswers {
  rateLimit?: (scope: 'app' | 'user') => EmulatorAnswer;
}

export interface EmulatorRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Raw body as text (form bodies are small). */
  body: string;
  /** The request's full URL as the client addressed it (for OAuth 1.0a base strings). */
  url: URL;
}

export interface EmulatorAnswer {
  status: number;
  json?: unknown;
  /** A plain-text body instead of JSON (the emulators' token minting, for shell use). */
  text?: string;
  headers?: Record<string, string>;
}

export type EmulatorRoute = (request: EmulatorRequest) => EmulatorAnswer | undefined;

export interface LoggedCall {
  method: string;
  path: string;
  at: number;
}

export interface EmulatorHandle {
  name: string;
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  port: number;
  calls: LoggedCall[];
  /** Applies a fault to every following request (or to the first `times` of them). */
  setFault(fault: Fault | null, times?: number): void;
  /** Added in front of every answer, faults included (the critical-path benchmark uses it). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
}

const CONTROL_PATH = '/__emulator/fault';

export const startEmulator = async (
  name: string,
  route: EmulatorRoute,
  options: EmulatorOptions = {},
  faultAnswers: EmulatorFaultAnswers = {},
): Promise<EmulatorHandle> => {
  const calls: LoggedCall[] = [];
  let fault: Fault | null = null;
  let faultBudget = Number.POSITIVE_INFINITY;
  let delayMs = 0;

  const setFault = (next: Fault | null, times = Number.POSITIVE_INFINITY) => {
    fault = next;
    faultBudget = times;
  };

  const takeFault = (): Fault | null => {
    if (!fault || faultBudget <= 0) return null;
    faultBudget -= 1;
    const current = fault;
    if (faultBudget <= 0) fault = null;
    return current;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, { status: 500, json: { error: 'emulator failure' } });
      else res.destroy();
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);

    // Control plane for `npm start` users and out-of-process tests: POST a Fault as JSON.
    if (url.pathname === CONTROL_PATH && req.method === 'POST') {
      const command = parseFaultCommand(body);
      if (typeof command === 'string') return send(res, { status: 400, json: { error: command } });
      if (command.delayMs !== undefined) delayMs = command.delayMs;
      setFault(command.fault, command.times);
      return send(res, { status: 204 });
    }

    calls.push({ method: req.method ?? 'GET', path: url.pathname, at: Date.now() });
    if (delayMs > 0) await sleep(delayMs);

    const active = takeFault();
    if (active) {
      switch (active.kind) {
        case 'hang':
          return; // never answers; the socket is destroyed on close()
        case 'reset':
          return req.socket.destroy();
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('{"this is": not json');
        case 'status':
          res.writeHead(active.status, { 'content-type': 'application/json', ...active.headers });
          return res.end(active.body ?? JSON.stringify({ error: 'emulated failure' }));
        case 'delay':
          await sleep(active.ms);
          break;
        case 'rate-limit':
          return send(res, faultAnswers.rateLimit?.(active.scope) ?? { status: 429, json: { error: 'rate limited' } });
      }
    }

    const answer = route({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, url });
    send(res, answer ?? { status: 404, json: { error: 'not found' } });
  };

  const listening = await listenOnLoopback(server, options);

  return {
    name,
    url: listening.url,
    port: listening.port,
    calls,
    setFault,
    setDelay: (ms) => (delayMs = ms),
    close: listening.close,
  };
};

export const FAULT_KINDS = ['status', 'hang', 'garbage', 'reset', 'delay'] as const;

interface FaultCommand {
  fault: Fault | null;
  times?: number;
  delayMs?: number;
}

const isWholeNumber = (value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/**
 * The control plane's body: a Fault (plus optional `times` and `delayMs`) or `null`. A typo
 * must not look like a switched-on fault, so anything else is refused with the reason.
 */
export const parseFaultCommand = (body: string): FaultCommand | string => {
  let value: unknown;
  try {
    value = JSON.parse(body.trim() || 'null');
  } catch {
    return 'the body must be JSON: a fault object or null';
  }
  if (value === null) return { fault: null };
  if (typeof value !== 'object' || Array.isArray(value)) return 'the body must be a fault object or null';
  const { kind, times, delayMs, ...rest } = value as Record<string, unknown>;
  if (times !== undefined && !isWholeNumber(times, 1)) return 'times must be a positive whole number';
  if (delayMs !== undefined && !isWholeNumber(delayMs, 0, 600_000)) return 'delayMs must be a whole number of milliseconds (0-600000)';
  const extra = { ...(times !== undefined ? { times } : {}), ...(delayMs !== undefined ? { delayMs } : {}) };
  if (kind === undefined) {
    // `{"delayMs": 200}` alone sets the added delay and clears the fault, as before.
    return Object.keys(rest).length === 0 ? { fault: null, ...extra } : `kind is missing; kinds: ${FAULT_KINDS.join(', ')}`;
  }
  switch (kind) {
    case 'hang':
    case 'garbage':
    case 'reset':
      return { fault: { kind: kind as 'hang' | 'garbage' | 'reset' }, ...extra };
    case 'delay':
      if (!isWholeNumber(rest.ms, 0, 600_000)) return 'a delay fault needs ms, a whole number of milliseconds (0-600000)';
      return { fault: { kind: 'delay', ms: rest.ms }, ...extra };
    case 'status': {
      if (!isWholeNumber(rest.status, 100, 599)) return 'a status fault needs status, an HTTP status code (100-599)';
      if (rest.body !== undefined && typeof rest.body !== 'string') return 'body must be a string';
      const headers = rest.headers;
      const validHeaders =
        headers === undefined ||
        (typeof headers === 'object' && headers !== null && !Array.isArray(headers) && Object.values(headers).every((h) => typeof h === 'string'));
      if (!validHeaders) return 'headers must be an object of strings';
      return {
        fault: {
          kind: 'status',
          status: rest.status,
          ...(rest.body !== undefined ? { body: rest.body as string } : {}),
          ...(headers !== undefined ? { headers: headers as Record<string, string> } : {}),
        },
        ...extra,
      };
    }
    default:
      return `unknown fault kind ${JSON.stringify(kind)}; kinds: ${FAULT_KINDS.join(', ')}`;
  }
};

const send = (res: ServerResponse, answer: EmulatorAnswer) => {
  if (answer.text !== undefined) {
    res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', ...answer.headers });
    return void res.end(answer.text);
  }
  const payload = answer.json === undefined ? '' : JSON.stringify(answer.json);
  res.writeHead(answer.status, {
    ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    ...answer.headers,
  });
  res.end(payload);
};

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
