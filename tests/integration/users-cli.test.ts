import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { FACEBOOK_TEST_TOKENS, FACEBOOK_USERS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_TEST_TOKENS, GOOGLE_USERS } from '../../infra/local/emulators/google.js';
import { runUsersCli } from '../../infra/local/users-cli.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { postToken, startTestStack } from '../support/stack.js';

const FB_ALICE = `facebook|${FACEBOOK_USERS.alice.id}`;
const FB_BOB = `facebook|${FACEBOOK_USERS.bob.id}`;
const G_ALICE = `google-oauth2|${GOOGLE_USERS.alice.sub}`;
const G_BOB = `google-oauth2|${GOOGLE_USERS.bob.sub}`;

interface CliRun {
  code: number;
  stdout: string[];
  stderr: string[];
}

describe('users CLI', () => {
  let stack: LocalStack;
  let target: string[];
  const cli = async (...argv: string[]): Promise<CliRun> => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runUsersCli(
      [...argv, ...target],
      (line) => stdout.push(line),
      (line) => stderr.push(line),
    );
    return { code, stdout, stderr };
  };
  const json = (run: CliRun) => run.stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
  const login = async (connection: string, accessToken: string) => {
    const { status } = await postToken(stack, { client_id: 'my-app', connection, access_token: accessToken });
    expect(status).toBe(200);
  };

  beforeAll(async () => {
    stack = await startTestStack();
    target = ['--table', stack.tableName, '--endpoint', stack.dynamoEndpoint, '--region', 'us-east-1'];
    await login('facebook', FACEBOOK_TEST_TOKENS.alice);
    await login('facebook', FACEBOOK_TEST_TOKENS.bobNoEmail);
    await login('google-oauth2', GOOGLE_TEST_TOKENS.alice);
    await login('google-oauth2', GOOGLE_TEST_TOKENS.bobNoEmail);
  });
  afterAll(() => stack?.stop());

  it('gets a user with its identities, as a table or as JSON', async () => {
    const table = await cli('get', FB_ALICE);
    expect(table).toMatchObject({ code: 0, stderr: [] });
    expect(table.stdout).toContain(`user_id      ${FB_ALICE}`);
    expect(table.stdout).toContain(`email        ${FACEBOOK_USERS.alice.email} (not verified)`);
    expect(table.stdout.find((line) => line.startsWith('IDENTITY'))).toMatch(/^IDENTITY\s+CONNECTION\s+LINK\s+LOGINS\s+LAST LOGIN\s+NAME$/);
    expect(table.stdout.find((line) => line.startsWith(FB_ALICE))).toMatch(new RegExp(`^${FB_ALICE.replace('|', '\\|')}\\s+facebook\\s+own\\s+1\\s+\\d{4}-`));

    const [user, ...rest] = json(await cli('get', FB_ALICE, '--json'));
    expect(rest).toEqual([]);
    expect(user).toMatchObject({
      user_id: FB_ALICE,
      profile: { name: FACEBOOK_USERS.alice.name, email: FACEBOOK_USERS.alice.email },
      identities: [{ provider: 'facebook', user_id: FACEBOOK_USERS.alice.id, connection: 'facebook', linked: false, logins_count: 1 }],
      logins_count: 1,
    });
  });

  it('lists users page by page, by connection, without linked identities', async () => {
    const all = json(await cli('list', '--json'));
    expect(all.map((user) => user.user_id).sort()).toEqual([FB_ALICE, FB_BOB, G_ALICE, G_BOB].sort());

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const lines = json(await cli('list', '--json', '--limit', '1', ...(cursor ? ['--cursor', cursor] : [])));
      const next = lines.find((line) => 'next_cursor' in line);
      seen.push(...lines.filter((line) => 'user_id' in line).map((line) => line.user_id as string));
      cursor = next?.next_cursor as string | undefined;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual([FB_ALICE, FB_BOB, G_ALICE, G_BOB].sort());

    const google = json(await cli('list', '--json', '--connection', 'google-oauth2'));
    expect(google.map((user) => user.user_id).sort()).toEqual([G_ALICE, G_BOB].sort());

    const readable = await cli('list', '--limit', '2');
    expect(readable.stdout[0]).toMatch(/^USER ID\s+NAME\s+EMAIL\s+CONNECTIONS\s+LOGINS\s+LAST LOGIN$/);
    expect(readable.stdout).toHaveLength(4);
    expect(readable.stdout[3]).toMatch(/^\(2 users; next page: --cursor [A-Za-z0-9_-]+\)$/);
  });

  it('links, lists the primary only, and unlinks', async () => {
    const linked = await cli('link', G_BOB, FB_BOB);
    expect(linked).toMatchObject({ code: 0, stderr: [] });
    expect(linked.stdout[0]).toBe(`linked ${FB_BOB} to ${G_BOB}; ${FB_BOB}'s logins now yield ${G_BOB}`);
    expect(linked.stdout.find((line) => line.startsWith(FB_BOB))).toMatch(/\slinked\s/);

    const listed = json(await cli('list', '--json'));
    expect(listed.map((user) => user.user_id)).not.toContain(FB_BOB);
    expect(listed.find((user) => user.user_id === G_BOB)).toMatchObject({ connections: ['google-oauth2', 'facebook'], identities: 2 });
    expect(json(await cli('list', '--json', '--connection', 'facebook')).map((user) => user.user_id).sort()).toEqual([FB_ALICE, G_BOB].sort());

    const refused = await cli('link', G_ALICE, FB_BOB);
    expect(refused).toEqual({ code: 1, stdout: [], stderr: [`error: ${FB_BOB} is already linked to ${G_BOB}: unlink it there first (an identity belongs to one user)`] });
    const secondary = await cli('get', FB_BOB);
    expect(secondary).toEqual({ code: 1, stdout: [], stderr: [`error: ${FB_BOB} is not a user: it is an identity linked to ${G_BOB}`] });

    const [unlinked] = json(await cli('unlink', G_BOB, FB_BOB, '--json'));
    expect(unlinked).toMatchObject({
      primary: { user_id: G_BOB, identities: [{ provider: 'google-oauth2' }] },
      unlinked: { user_id: FB_BOB, identities: [{ provider: 'facebook', linked: false }] },
    });
    expect((await cli('get', FB_BOB)).code).toBe(0);
  });

  it('deletes a user and reports what went, then no longer finds it', async () => {
    await login('google-oauth2', GOOGLE_TEST_TOKENS.alice);
    expect((await cli('link', G_ALICE, FB_ALICE)).code).toBe(0);
    const deleted = await cli('delete', G_ALICE, '--yes');
    expect(deleted).toMatchObject({ code: 0, stderr: [] });
    expect(deleted.stdout).toEqual([`deleted ${G_ALICE}: 2 identities (${G_ALICE}, ${FB_ALICE}), 3 access tokens, 0 refresh tokens, 0 sessions`]);
    expect(await cli('get', G_ALICE)).toEqual({ code: 1, stdout: [], stderr: [`error: user ${G_ALICE} not found`] });
    expect(await cli('get', FB_ALICE)).toEqual({ code: 1, stdout: [], stderr: [`error: user ${FB_ALICE} not found`] });
  });

  it.each<[string, string[], number, RegExp]>([
    ['no command', [], 2, /^error: missing command\nusage:/],
    ['an unknown command', ['show', FB_ALICE], 2, /^error: unknown command "show"\nusage:/],
    ['a missing argument', ['get'], 2, /^error: get takes 1 argument, got 0\nusage:/],
    ['a missing secondary', ['link', FB_ALICE], 2, /^error: link takes 2 arguments, got 1\nusage:/],
    ['an unknown option', ['list', '--verbose'], 2, /^error: Unknown option '--verbose'/],
    ['a user id without strategy', ['get', '10224567890123456'], 2, /^error: invalid user id "10224567890123456": expected <strategy>\|<id>/],
    ['an unknown strategy', ['get', 'myspace|42'], 2, /^error: invalid user id "myspace\|42": unknown strategy "myspace" \(known: facebook, google-oauth2, twitter, weibo, apple\)$/],
    ['an empty provider id', ['delete', 'facebook|'], 2, /^error: invalid user id "facebook\|"/],
    ['a bad limit', ['list', '--limit', '0'], 2, /^error: --limit must be a whole number from 1 to 1000$/],
    ['a list option elsewhere', ['get', FB_BOB, '--limit', '3'], 2, /^error: --limit is an option of list only$/],
    ['a forged cursor', ['list', '--cursor', 'bm90LWEta2V5'], 2, /^error: invalid cursor/],
    ['an unknown user', ['get', 'twitter|42'], 1, /^error: user twitter\|42 not found$/],
    ['an unknown user to delete', ['delete', 'weibo|42', '--yes'], 1, /^error: user weibo\|42 not found$/],
    ['unlinking what is not linked', ['unlink', FB_BOB, G_BOB], 1, /^error: google-oauth2\|\d+ is not linked to facebook\|\d+$/],
  ])('refuses %s with one clear line', async (_name, argv, code, message) => {
    const run = await cli(...argv);
    expect(run.code).toBe(code);
    expect(run.stdout).toEqual([]);
    expect(run.stderr).toHaveLength(1);
    expect(run.stderr[0]).toMatch(message);
    expect(run.stderr[0]).not.toMatch(/\n\s+at /);
  });

  it('names a missing table, and the missing local stack when no table is given', async () => {
    const stderr: string[] = [];
    const missingTable = await runUsersCli(['list', '--table', 'no-such-table', '--endpoint', stack.dynamoEndpoint, '--region', 'us-east-1'], () => undefined, (line) => stderr.push(line));
    expect(missingTable).toBe(1);
    expect(stderr).toEqual(['error: the table does not exist (check --table and --region)']);

    const previous = process.env.LOCAL_STACK_STATE_FILE;
    process.env.LOCAL_STACK_STATE_FILE = '/nonexistent/.local-stack.json';
    try {
      stderr.length = 0;
      expect(await runUsersCli(['list'], () => undefined, (line) => stderr.push(line))).toBe(2);
      expect(stderr).toEqual([expect.stringMatching(/^error: no local stack is running: start it with `npm start`/)]);
    } finally {
      if (previous === undefined) delete process.env.LOCAL_STACK_STATE_FILE;
      else process.env.LOCAL_STACK_STATE_FILE = previous;
    }
  });
});

describe('users CLI as a process', () => {
  it('exits 1 with one line on stderr, no stack trace, when DynamoDB is unreachable', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const child = spawn('npx', ['tsx', 'infra/local/users-cli.ts', 'get', FB_ALICE, '--table', 't-x', '--endpoint', `http://127.0.0.1:${port}`, '--region', 'us-east-1'], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(new RegExp(`^error: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\n$`));
  });
});
