import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from '../../functions/store/keys.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTenantCli } from '../../infra/local/tenant-cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
const stateFile = join(workDir, 'local-stack.json');

/** Runs `npm start`'s entry exactly as package.json does (tsx), on free ports. */
const startLocal = (env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', EMULATOR_PORTS: 'free', LOCAL_STACK_STATE_FILE: stateFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${stdout}\n${stderr}`)), 45_000);
    child.stdout!.on('data', () => {
      const match = /issuer\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
      if (match && stdout.includes('curl')) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`npm start exited:\n${stdout}\n${stderr}`));
    });
  });
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
};

const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

describe('npm start', () => {
  it('serves the API, lets the tenant CLI find it, and stops cleanly on Ctrl-C', async () => {
    const local = startLocal();
    running.push(local.child);
    const issuer = await local.ready;

    const discovery = await fetch(`${issuer}.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(issuer);

    // The printed curl works as printed.
    const curl = /curl -s -X POST (\S+) -H 'Content-Type: application\/json' -d '(.+)'/.exec(local.output().stdout)!;
    const exchange = await fetch(curl[1]!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl[2]! });
    expect(exchange.status).toBe(200);

    // The tenant CLI finds the running stack without flags; applying the same tenant changes nothing.
    const tenantFile = join(workDir, 'tenant.json');
    const { buildLocalTenant } = await import('../../infra/local/local-tenant.js');
    const dummy = { facebook: {}, google: {}, twitter: {}, weibo: {}, apple: {} };
    writeFileSync(tenantFile, JSON.stringify({ ...buildLocalTenant(dummy), connections: [], clients: [{ client_id: 'extra-app' }] }));
    const lines: string[] = [];
    const previous = process.env.LOCAL_STACK_STATE_FILE;
    process.env.LOCAL_STACK_STATE_FILE = stateFile;
    try {
      expect(await runTenantCli(['apply', tenantFile], (line) => lines.push(line))).toBe(0);
      expect(await runTenantCli(['apply', tenantFile], (line) => lines.push(line))).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.LOCAL_STACK_STATE_FILE;
      else process.env.LOCAL_STACK_STATE_FILE = previous;
    }
    expect(lines.join('\n')).toMatch(/created\s+client extra-app/);
    expect(lines.join('\n')).toMatch(/unchanged\s+client extra-app/);
    expect(lines.join('\n')).toMatch(/stale/);

    // The committed local tenant names the default emulator ports; applied to this stack (free
    // ports) its connections follow the emulators that actually run.
    const state = JSON.parse((await import('node:fs')).readFileSync(stateFile, 'utf8')) as {
      dynamoEndpoint: string;
      tableName: string;
      emulators: Record<string, string>;
    };
    process.env.LOCAL_STACK_STATE_FILE = stateFile;
    lines.length = 0;
    try {
      expect(await runTenantCli(['apply', 'infra/local/tenant.local.json'], (line) => lines.push(line))).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.LOCAL_STACK_STATE_FILE;
      else process.env.LOCAL_STACK_STATE_FILE = previous;
    }
    expect(lines.join('\n')).toMatch(/endpoints of facebook, google-oauth2, twitter, weibo, apple moved from the default emulator ports/);
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: state.dynamoEndpoint, region: 'us-east-1' }));
    const { Item } = await db.send(new GetCommand({ TableName: state.tableName, Key: itemKeys.connection('facebook') }));
    db.destroy();
    expect(JSON.stringify(Item)).toContain(`${state.emulators.facebook}/v25.0/debug_token`);
    expect(JSON.stringify(Item)).not.toContain('127.0.0.1:3001');

    local.child.kill('SIGINT');
    expect(await local.exited).toBe(0);
    // DynamoDB Local went down with it: no orphan java.
    await expect(fetch(state.dynamoEndpoint)).rejects.toThrow();
    expect(local.output().stderr).not.toMatch(/\n\s+at /);
  }, 90_000);

  it('says in one sentence what to install when java is missing', async () => {
    const local = startLocal({ PATH: '/nonexistent' });
    running.push(local.child);
    await expect(local.ready).rejects.toThrow();
    expect(await local.exited).toBe(1);
    const { stderr } = local.output();
    expect(stderr).toMatch(/needs Java 17 or newer/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a bad tenant file with the field named', async () => {
    const bad = join(workDir, 'bad-tenant.json');
    writeFileSync(bad, JSON.stringify({ clients: [{ client_id: 'a', connections: ['nope'] }] }));
    const local = startLocal({ TENANT_FILE: bad });
    running.push(local.child);
    await expect(local.ready).rejects.toThrow();
    expect(await local.exited).toBe(1);
    expect(local.output().stderr).toMatch(/clients\.0\.connections\.0: client "a" enables connection "nope", which is not defined/);
  });
});

/** The JVM under `npm start` (child of the watchdog, grandchild of npm start). */
const javaUnder = (pid: number): number | undefined => {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3]! }));
  const descendants = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) {
      if (descendants.has(row.ppid) && !descendants.has(row.pid)) {
        descendants.add(row.pid);
        grew = true;
      }
    }
  }
  // The watchdog's own command line names the jar too: take the process that runs java.
  return rows.find((row) => descendants.has(row.pid) && /(^|\/)java$/.test(row.args.split(' ')[0]!) && row.args.includes('DynamoDBLocal.jar'))?.pid;
};

describe('npm start failures', () => {
  it('says at once when DynamoDB Local dies, and exits; warns when BIND_HOST is not loopback', async () => {
    const local = startLocal({ BIND_HOST: '0.0.0.0', LOCAL_STACK_STATE_FILE: join(workDir, 'dies.json') });
    running.push(local.child);
    const issuer = await local.ready;
    expect(local.output().stderr).toMatch(/warning: BIND_HOST=0\.0\.0\.0: .*reachable from other machines/);
    expect(local.output().stdout).toMatch(/DynamoDB Local listens on every network interface/);
    expect((await fetch(`${issuer}.well-known/openid-configuration`)).status).toBe(200);

    const java = javaUnder(local.child.pid!);
    expect(java).toBeDefined();
    process.kill(java!, 'SIGKILL');
    expect(await local.exited).toBe(1);
    expect(local.output().stderr).toMatch(/DynamoDB Local stopped unexpectedly \(signal SIGKILL\)/);
    expect(local.output().stderr).not.toMatch(/\n\s+at /);
  }, 90_000);

  it('names the port that is taken and the variable that moves it', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as { port: number };
    try {
      const local = startLocal({ PORT: String(port), LOCAL_STACK_STATE_FILE: join(workDir, 'busy.json') });
      running.push(local.child);
      await expect(local.ready).rejects.toThrow();
      expect(await local.exited).toBe(1);
      expect(local.output().stderr).toMatch(new RegExp(`port ${port} is already in use .*the API; set PORT to another port, or PORT=0`));
    } finally {
      squatter.close();
    }
  }, 60_000);

  it.each([
    [{ SIGNING_ALG: 'es256' }, 'SIGNING_ALG must be RS256 or ES256 (got "es256")'],
    [{ PAYLOAD_VERSION: '3' }, 'PAYLOAD_VERSION must be 2.0 or 1.0 (got "3")'],
    [{ EMULATOR_PORTS: 'random' }, 'EMULATOR_PORTS must be free or unset (got "random")'],
  ])('refuses %j in one line before starting anything', async (env, message) => {
    const local = startLocal(env);
    running.push(local.child);
    await expect(local.ready).rejects.toThrow();
    expect(await local.exited).toBe(1);
    expect(local.output().stderr).toBe(`npm start: ${message}\n`);
  });
});

/** The CLIs must silence the warning themselves, whatever the test runner's environment says. */
const withoutSdkWarningSwitch = (env: NodeJS.ProcessEnv) => {
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  return env;
};

describe('admin CLIs as processes', () => {
  const run = (script: string, args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
        cwd: root,
        env: withoutSdkWarningSwitch({ ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const unreachable = ['--table', 't', '--endpoint', 'http://127.0.0.1:1', '--region', 'us-east-1'];

  it.each([
    ['infra/local/tenant-cli.ts', ['apply', 'infra/local/tenant.local.json', ...unreachable, '--secrets-key', 'alias/x', '--kms-endpoint', 'http://127.0.0.1:1']],
    ['infra/local/users-cli.ts', ['list', ...unreachable]],
  ])('%s prints its error on stderr in one line, without the SDK Node version warning', async (script, args) => {
    const { code, stdout, stderr } = await run(script, args);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: .+\n$/);
    expect(stderr).not.toMatch(/NodeVersionSupportWarning/);
  });

  it('tenant CLI: a refused file goes to stderr with exit code 1', async () => {
    const { code, stdout, stderr } = await run('infra/local/tenant-cli.ts', ['validate', 'tsconfig.json']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: tsconfig\.json: invalid tenant file/);
  });
});

describe('tenant CLI errors', () => {
  it.each([
    [[], 2, /expected a command/],
    [['apply'], 2, /expected a command and one file/],
    [['apply', '/nonexistent.json'], 1, /cannot read/],
    [['apply', 'infra/local/tenant.local.json', '--endpoint', 'http://127.0.0.1:1'], 2, /--endpoint needs --table/],
    [['apply', 'infra/local/tenant.local.json', '--table', 't', '--endpoint', 'http://127.0.0.1:1', '--region', 'us-east-1'], 2, /--secrets-key/],
    [
      ['apply', 'infra/local/tenant.local.json', '--table', 't', '--endpoint', 'http://127.0.0.1:1', '--region', 'us-east-1', '--secrets-key', 'alias/x', '--kms-endpoint', 'http://127.0.0.1:1'],
      1,
      /^error: \w+: /,
    ],
    [['apply', 'tsconfig.json'], 1, /invalid tenant file/],
    [['frobnicate', 'x'], 2, /expected a command/],
    [['apply', 'x', '--bogus'], 2, /Unknown option/],
  ])('%j → exit %i', async (argv, code, message) => {
    const lines: string[] = [];
    expect(await runTenantCli(argv as string[], (line) => lines.push(line))).toBe(code);
    expect(lines.join('\n')).toMatch(message);
  });

  it('validates a file without touching any table', async () => {
    const lines: string[] = [];
    expect(await runTenantCli(['validate', 'infra/local/tenant.local.json'], (line) => lines.push(line))).toBe(0);
    expect(lines[0]).toMatch(/is valid: 2 clients, 5 connections/);
  });
});
