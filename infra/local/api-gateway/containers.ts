import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { ContainerData, FromContainer, ToContainer } from './container-runtime.js';
import { containerRuntime, functionBundle } from './bundles.js';
import { contextFields, timeoutPhrase, type Invocation } from './invoke.js';
import type { InvocationIds } from './types.js';

/**
 * Lambda's concurrency model, locally: each function has a pool of containers (worker
 * threads), each with its own instance of the function's module, so its own SDK clients,
 * config cache, JWKS cache, circuit and limiter. A container serves one invocation at a
 * time; when every container is busy a new one starts (a cold start, with its init phase),
 * up to the function's concurrency limit; past it the invocation is throttled. Idle
 * containers stay warm and are reused, most recently used first, as Lambda tends to.
 */
export interface FunctionSpec {
  functionName: string;
  entry: string;
  exportName: string;
  timeoutMs: number;
  memoryMb: number;
}

export interface ContainerSettings {
  /** Containers per function at most, like a reserved concurrency. */
  concurrency: number;
  /** The function's environment, read at each cold start (the function's configuration). */
  environment: () => Record<string, string>;
  /** Where the containers' stdout/stderr lines and the platform report lines go. */
  log: (line: string) => void;
  /** An idle container is reclaimed after this long; default 10 minutes. */
  idleMs?: number;
}

export interface FunctionStats {
  functionName: string;
  /** Containers alive now (starting, busy or idle). */
  containers: number;
  /** Most containers alive at once. */
  peakContainers: number;
  coldStarts: number;
  invocations: number;
  throttles: number;
}

export type PoolInvocation = Invocation | { ok: false; throttled: true };

const DEFAULT_IDLE_MS = 10 * 60_000;
const TIMED_OUT = Symbol('timed out');

/** Lambda's log stream name of an execution environment: one stream per container. */
const newLogStreamName = (now: Date) =>
  `${now.toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;

class Container {
  readonly logStreamName = newLogStreamName(new Date());
  private readonly worker: Worker;
  private pending: ((message: FromContainer) => void) | undefined;
  private exited = false;
  /** Settles with the init duration, or rejects with the reason the init failed. */
  readonly ready: Promise<number>;
  idleTimer: NodeJS.Timeout | undefined;
  /** The init duration, until the first invocation's report carries it. */
  pendingInitMs: number | undefined;

  constructor(runtimeUrl: string, data: ContainerData, env: Record<string, string>, log: (line: string) => void, onExit: () => void) {
    // Init Duration counts from the start of the environment (here: the worker thread), as on AWS.
    const created = performance.now();
    this.worker = new Worker(new URL(runtimeUrl), {
      workerData: data,
      env: { ...env, AWS_LAMBDA_LOG_STREAM_NAME: this.logStreamName },
      // The bundle needs no loader: never inherit tsx's (or vitest's) hooks into the container.
      execArgv: [],
      stdout: true,
      stderr: true,
    });
    for (const stream of [this.worker.stdout, this.worker.stderr]) createInterface({ input: stream }).on('line', log);
    this.ready = new Promise<number>((resolve, reject) => {
      this.pending = (message) => {
        const initMs = performance.now() - created;
        if (message.type === 'ready') resolve(initMs);
        else if (message.type === 'init-failed') reject(new InitFailure(`init ${message.reason}`, initMs));
        else reject(new InitFailure(`init failed: the container ${message.ok ? 'answered early' : message.reason}`, initMs));
      };
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (message: FromContainer) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.(message);
    });
    const lost = (reason: string) => {
      if (this.exited) return;
      this.exited = true;
      const pending = this.pending;
      this.pending = undefined;
      pending?.({ type: 'answer', ok: false, reason });
      onExit();
    };
    // An uncaught exception ends the container, as it ends the Lambda execution environment.
    this.worker.on('error', (error) => lost(`crashed (${error.constructor.name})`));
    this.worker.on('exit', () => lost('exited'));
  }

  invoke(event: string, context: ToContainer['context']): Promise<FromContainer> {
    return new Promise((resolve) => {
      if (this.exited) return resolve({ type: 'answer', ok: false, reason: 'exited' });
      this.pending = resolve;
      this.worker.postMessage({ type: 'invoke', event, context } satisfies ToContainer);
    });
  }

  stop(): Promise<void> {
    this.exited = true;
    clearTimeout(this.idleTimer);
    return this.worker.terminate().then(() => undefined);
  }
}

class InitFailure extends Error {
  constructor(readonly reason: string, readonly initMs: number) {
    super(reason);
  }
}

/**
 * Cold starts under way at once, across all functions of this process. On AWS every
 * container initialises on its own host; here they share this machine's cores with the
 * containers already serving and with DynamoDB Local, and a hundred simultaneous inits
 * (about 0.2 s of CPU each) starve them all until request deadlines expire. Measured on
 * 2 cores: inits on both cores still starved the serving containers of a burst; one core's
 * worth leaves the other to them. (LOCAL_INIT_SLOTS overrides, for experiments.)
 */
const INIT_SLOTS = Number(process.env.LOCAL_INIT_SLOTS) || Math.max(1, Math.floor(availableParallelism() / 2));
let initsRunning = 0;
const initQueue: Array<() => void> = [];
const acquireInitSlot = (): Promise<void> => {
  if (initsRunning < INIT_SLOTS) {
    initsRunning += 1;
    return Promise.resolve();
  }
  return new Promise((resolve) => initQueue.push(resolve));
};
const releaseInitSlot = () => {
  const next = initQueue.shift();
  if (next) next();
  else initsRunning -= 1;
};

type Waiter = (outcome: Container | InitFailure) => void;

export class FunctionPool {
  private readonly idle: Container[] = [];
  private readonly alive = new Set<Container>();
  /** Invocations waiting for a container (each has one starting on its behalf). */
  private readonly waiting: Waiter[] = [];
  /** Invocations in flight: being served or waiting for a container (Lambda's concurrency). */
  private inFlight = 0;
  /** Starts waiting for an init slot (not yet in `alive`) and starts initialising (in `alive`). */
  private queuedStarts = 0;
  private initialising = 0;
  private readonly stats: FunctionStats;
  private closed = false;

  constructor(private readonly spec: FunctionSpec, private readonly settings: ContainerSettings) {
    this.stats = { functionName: spec.functionName, containers: 0, peakContainers: 0, coldStarts: 0, invocations: 0, throttles: 0 };
  }

  /** Builds the bundles now, so the first cold start does not pay for esbuild. */
  prepare(): Promise<unknown> {
    return Promise.all([containerRuntime(), functionBundle(this.spec.entry)]);
  }

  snapshot(): FunctionStats {
    return { ...this.stats, containers: this.alive.size };
  }

  /**
   * Lambda's concurrency is the number of invocations in flight; at the limit, the next one
   * is throttled. A waiting invocation takes the first container free for it: the one started
   * on its behalf or, if sooner, one that finished another invocation (a local departure: on
   * AWS it would wait for its own container, which starts as fast as any other there).
   */
  async invoke(event: unknown, ids: InvocationIds): Promise<PoolInvocation> {
    if (this.closed || this.inFlight >= this.settings.concurrency) {
      this.stats.throttles += 1;
      return { ok: false, throttled: true };
    }
    this.inFlight += 1;
    try {
      const container = this.idle.pop() ?? (await this.waitForContainer());
      if (container instanceof InitFailure) {
        // An init failure: Lambda answers the invocation with the error and discards the environment.
        this.report(undefined, ids, 'error', 0, container.initMs);
        return { ok: false, reason: container.reason };
      }
      clearTimeout(container.idleTimer);
      this.stats.invocations += 1;
      const initMs = container.pendingInitMs;
      container.pendingInitMs = undefined;
      const started = performance.now();
      const { invocation, status } = await this.call(container, event, ids);
      this.report(container, ids, status, performance.now() - started, initMs);
      this.release(container);
      return invocation;
    } finally {
      this.inFlight -= 1;
    }
  }

  private waitForContainer(): Promise<Container | InitFailure> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.provision();
    });
  }

  /** Starts a container for each waiting invocation that no start under way will serve. */
  private provision() {
    while (
      !this.closed &&
      this.queuedStarts + this.initialising < this.waiting.length &&
      this.alive.size + this.queuedStarts < this.settings.concurrency
    ) {
      this.queuedStarts += 1;
      void this.startOne();
    }
  }

  private async startOne(): Promise<void> {
    await acquireInitSlot();
    this.queuedStarts -= 1;
    // A warm container may have served the invocation meanwhile: no start is needed any more.
    if (this.closed || this.initialising >= this.waiting.length) {
      releaseInitSlot();
      return;
    }
    this.initialising += 1;
    let outcome: Container | InitFailure;
    try {
      const container = await this.spawn();
      try {
        container.pendingInitMs = await container.ready;
        outcome = container;
      } catch (failure) {
        void this.discard(container);
        outcome = failure as InitFailure;
      }
    } catch (error) {
      outcome = new InitFailure(`init failed (${(error as Error).constructor.name})`, 0);
    } finally {
      this.initialising -= 1;
      releaseInitSlot();
    }
    if (outcome instanceof InitFailure) {
      this.waiting.shift()?.(outcome);
      this.provision();
    } else this.release(outcome);
  }

  private async spawn(): Promise<Container> {
    const [runtimeUrl, bundleUrl] = await Promise.all([containerRuntime(), functionBundle(this.spec.entry)]);
    const { functionName, memoryMb } = this.spec;
    const env = {
      ...(process.env as Record<string, string>),
      ...this.settings.environment(),
      // The variables the Lambda runtime sets in every execution environment.
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    };
    const container: Container = new Container(
      runtimeUrl,
      { bundleUrl, exportName: this.spec.exportName },
      env,
      this.settings.log,
      () => this.forget(container),
    );
    this.alive.add(container);
    this.stats.coldStarts += 1;
    this.stats.peakContainers = Math.max(this.stats.peakContainers, this.alive.size);
    return container;
  }

  private async call(
    container: Container,
    event: unknown,
    ids: InvocationIds,
  ): Promise<{ invocation: Invocation; status: 'success' | 'error' | 'timeout' }> {
    const { timeoutMs } = this.spec;
    const context = contextFields(this.spec.functionName, ids, timeoutMs, container.logStreamName, this.spec.memoryMb);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    try {
      const answer = await Promise.race([container.invoke(JSON.stringify(event), context), timedOut]);
      if (answer === TIMED_OUT) {
        // A timed-out function's environment is reset, as Lambda does: the next invocation starts cold.
        void this.discard(container);
        return { invocation: { ok: false, reason: timeoutPhrase(timeoutMs) }, status: 'timeout' };
      }
      if (answer.type !== 'answer') return { invocation: { ok: false, reason: 'did not answer' }, status: 'error' };
      if (!answer.ok) return { invocation: { ok: false, reason: answer.reason }, status: 'error' };
      return { invocation: { ok: true, result: answer.result === null ? undefined : JSON.parse(answer.result) }, status: 'success' };
    } finally {
      clearTimeout(timer);
    }
  }

  /** A free container serves the next waiting invocation, or waits warm until reclaimed. */
  private release(container: Container) {
    if (this.closed || !this.alive.has(container)) return;
    const next = this.waiting.shift();
    if (next) return next(container);
    container.idleTimer = setTimeout(() => void this.discard(container), this.settings.idleMs ?? DEFAULT_IDLE_MS);
    container.idleTimer.unref();
    this.idle.push(container);
  }

  private forget(container: Container) {
    this.alive.delete(container);
    const index = this.idle.indexOf(container);
    if (index >= 0) this.idle.splice(index, 1);
    // Waiting invocations that counted on this container need another.
    this.provision();
  }

  private discard(container: Container): Promise<void> {
    this.forget(container);
    return container.stop();
  }

  /**
   * The platform's REPORT line, in Lambda's JSON log format (`platform.report`), plus the
   * function and log stream so lines from many containers can be told apart locally.
   * `initDurationMs` appears on cold starts only, as on AWS.
   */
  private report(container: Container | undefined, ids: InvocationIds, status: string, durationMs: number, initMs: number | undefined) {
    const metrics = {
      durationMs: round(durationMs),
      billedDurationMs: Math.ceil(durationMs),
      memorySizeMB: this.spec.memoryMb,
      ...(initMs !== undefined ? { initDurationMs: round(initMs) } : {}),
    };
    this.settings.log(
      JSON.stringify({
        time: new Date().toISOString(),
        type: 'platform.report',
        functionName: this.spec.functionName,
        ...(container ? { logStreamName: container.logStreamName } : {}),
        record: { requestId: ids.awsRequestId, status, metrics },
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter(new InitFailure('the API is stopping', 0));
    await Promise.all([...this.alive].map((container) => this.discard(container)));
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
