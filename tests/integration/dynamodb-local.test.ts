import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  DynamoDbLocalStartError,
  JavaRequirementError,
  parseJavaVersion,
  startDynamoDbLocal,
  type DynamoDbLocalHandle,
} from '../../infra/local/dynamodb-local.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const tempDirs: string[] = [];
const handles: DynamoDbLocalHandle[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.stop()));
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const waitUntilGone = async (pid: number, withinMs: number): Promise<boolean> => {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isAlive(pid);
};

const clientFor = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

describe('startDynamoDbLocal', () => {
  it('serves the real AWS SDK, keeps data in persistDir across a restart, and stop() ends java', async () => {
    // Prepare
    const persistDir = mkdtempSync(join(tmpdir(), 'ddb-local-'));
    tempDirs.push(persistDir);
    const first = await startDynamoDbLocal({ persistDir: join(persistDir, 'nested') });
    const client = clientFor(first.endpoint);

    // Act
    await client.send(
      new CreateTableCommand({
        TableName: 'things',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await client.send(new PutItemCommand({ TableName: 'things', Item: { pk: { S: 'a' }, n: { N: '42' } } }));
    const read = await client.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'a' } } }));
    client.destroy();
    await first.stop();

    // Assess
    expect(first.endpoint).toBe(`http://127.0.0.1:${first.port}`);
    expect(read.Item).toEqual({ pk: { S: 'a' }, n: { N: '42' } });
    expect(isAlive(first.pid)).toBe(false);
    await first.stop(); // idempotent

    const second = await startDynamoDbLocal({ persistDir: join(persistDir, 'nested') });
    handles.push(second);
    const again = clientFor(second.endpoint);
    const reread = await again.send(new GetItemCommand({ TableName: 'things', Key: { pk: { S: 'a' } } }));
    again.destroy();
    expect(reread.Item?.n).toEqual({ N: '42' });
  });

  it('leaves no java behind when its parent is SIGKILLed, SIGTERMed or interrupted like Ctrl-C', async () => {
    // Prepare: three parents at once, to pay the JVM start-up only about once.
    const startParent = () => {
      // Own process group, so "Ctrl-C" can be delivered to the whole group as a terminal does.
      const child = spawn(process.execPath, ['--import', 'tsx', join(fixtures, 'dynamodb-local-child.ts')], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      children.push(child);
      return new Promise<{ child: ChildProcess; javaPid: number }>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const line = out.split('\n')[0];
          if (out.includes('\n') && line) resolve({ child, javaPid: (JSON.parse(line) as { pid: number }).pid });
        });
        child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
        child.on('exit', (code) => reject(new Error(`fixture exited early (${code}): ${err.slice(-500)}`)));
      });
    };
    const [killed, terminated, interrupted] = await Promise.all([startParent(), startParent(), startParent()]);
    for (const { javaPid } of [killed, terminated, interrupted]) expect(isAlive(javaPid)).toBe(true);

    // Act
    killed.child.kill('SIGKILL');
    terminated.child.kill('SIGTERM');
    process.kill(-(interrupted.child.pid as number), 'SIGINT');

    // Assess
    const gone = await Promise.all([
      waitUntilGone(killed.javaPid, 5_000),
      waitUntilGone(terminated.javaPid, 5_000),
      waitUntilGone(interrupted.javaPid, 5_000),
    ]);
    expect(gone).toEqual([true, true, true]);
  });

  it('reports a port that is already taken in one clear sentence', async () => {
    // Prepare: a listener that reads but never answers (reading lets its sockets close on EOF).
    const blocker: Server = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };

    // Act
    const attempt = startDynamoDbLocal({ port });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DynamoDbLocalStartError);
    await expect(attempt).rejects.toThrow(`DynamoDB Local could not listen on port ${port}: the port is already in use.`);
    await new Promise((resolve) => blocker.close(resolve));
  });

  it('gives up after startTimeoutMs with a clear error', async () => {
    const attempt = startDynamoDbLocal({ startTimeoutMs: 1 });
    await expect(attempt).rejects.toBeInstanceOf(DynamoDbLocalStartError);
    await expect(attempt).rejects.toThrow(/^DynamoDB Local did not answer on http:\/\/127\.0\.0\.1:\d+ within 1 ms\. Last output:/);
  });

  it.each([
    ['missing', join(fixtures, 'no-such-java'), /^DynamoDB Local needs Java 17 or newer: install a JRE/],
    ['too old', join(fixtures, 'fake-java-8.sh'), /^DynamoDB Local needs Java 17 or newer \(found Java 1\.8\.0_412\)/],
  ])('rejects with one clear sentence when java is %s', async (_case, java, message) => {
    const attempt = startDynamoDbLocal({ java });
    await expect(attempt).rejects.toBeInstanceOf(JavaRequirementError);
    await expect(attempt).rejects.toThrow(message);
  });

  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['java version "1.8.0_352"', 8],
    ['openjdk version "21" 2023-09-19', 21],
    ['openjdk version "11.0.2+9"', 11],
    ['no version here', null],
  ])('reads the Java major version from %j', (output, major) => {
    expect(parseJavaVersion(output)?.major ?? null).toBe(major);
  });
});
