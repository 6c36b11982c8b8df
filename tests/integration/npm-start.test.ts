import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

    const state = JSON.parse((await import('node:fs')).readFileSync(stateFile, 'utf8')) as { dynamoEndpoint: string };
    local.child.kill('SIGINT');
    expect(await local.exited).toBe(0);
    // DynamoDB Local went down with it: no orphan java.
    await expect(fetch(state.dynamoEndpoint)).rejects.toThrow();
    expect(local.output().stderr).not.toMatch(/\n\s+at /);
  });

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
    expect(local.output().stderr).toMatch(/clients: a client enables a connection that is not defined/);
  });
});

describe('tenant CLI errors', () => {
  it.each([
    [[], 2, /expected a command/],
    [['apply'], 2, /expected a command and one file/],
    [['apply', '/nonexistent.json'], 1, /cannot read/],
    [['apply', 'infra/local/tenant.local.json', '--endpoint', 'http://127.0.0.1:1'], 2, /--endpoint needs --table/],
    [['apply', 'infra/local/tenant.local.json', '--table', 't', '--endpoint', 'http://127.0.0.1:1', '--region', 'us-east-1'], 1, /^error: \w+: /],
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
