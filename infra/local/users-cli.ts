import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { KMS_DEADLINE_MS } from '../../functions/clients.js';
import { createKmsSecretOpener } from '../../functions/store/kms-secrets.js';
import { createDocumentClient } from '../../functions/store/dynamo.js';
import { createUserAdmin, MAX_LIST_LIMIT, type ProviderGrant, type UserAdmin } from '../../functions/store/user-admin.js';
import { createTenantStore } from '../../functions/store/tenant-store.js';
import { createAppleClient } from '../../functions/providers/apple.js';
import { createProviderHttp } from '../../functions/providers/http.js';
import { parseUserId, UserAdminError } from '../../functions/store/user-records.js';
import { CliUsageError, resolveTableTarget, silenceSdkNodeVersionWarning, TABLE_TARGET_OPTIONS, type TableTarget } from './cli-target.js';
import { formatDeletion, formatPage, formatSessions, formatUser } from './users-format.js';

/**
 * `npm run users -- <command> ... [--json] [--table NAME] [--endpoint URL] [--region REGION]`
 * Without --table it works on the local stack `npm start` is running.
 * Exit codes: 0 done, 1 refused or failed, 2 bad command line.
 */
const USAGE = `usage:
  npm run users -- get <user_id>
  npm run users -- list [--connection NAME] [--limit N] [--cursor CURSOR]
  npm run users -- link <primary_user_id> <secondary_user_id>
  npm run users -- unlink <primary_user_id> <provider|provider_user_id>
  npm run users -- delete <user_id> [--yes] [--kms-endpoint URL]
  npm run users -- block|unblock <user_id>
  npm run users -- sessions <user_id>
  npm run users -- revoke-sessions <user_id>
options: --json (JSON lines)  --table NAME [--endpoint URL] [--region REGION] (default: the running npm start stack)`;

type Line = (line: string) => void;

const ARITY: Record<string, number> = {
  get: 1,
  list: 0,
  link: 2,
  unlink: 2,
  delete: 1,
  block: 1,
  unblock: 1,
  sessions: 1,
  'revoke-sessions': 1,
};

/** Asks the operator a yes/no question; true only for an explicit yes. */
export type Confirm = (question: string) => Promise<boolean>;

const askOnTerminal: Confirm = async (question) => {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(`${question} [y/N] `)).trim());
  } finally {
    terminal.close();
  }
};
const LIST_ONLY = ['connection', 'limit', 'cursor'] as const;

export const runUsersCli = async (argv: string[], out: Line, err: Line = out, confirm: Confirm = askOnTerminal): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...TABLE_TARGET_OPTIONS,
        // Where Apple's encrypted private_key is decrypted for `delete` (default: the region's KMS).
        'kms-endpoint': { type: 'string' },
        json: { type: 'boolean', default: false },
        connection: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
        yes: { type: 'boolean', short: 'y', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    err(`error: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const [command, ...args] = parsed.positionals;
  const arity = command === undefined ? undefined : ARITY[command];
  if (arity === undefined) {
    err(`error: ${command === undefined ? 'missing command' : `unknown command ${JSON.stringify(command)}`}\n${USAGE}`);
    return 2;
  }
  if (args.length !== arity) {
    err(`error: ${command} takes ${arity === 0 ? 'no arguments' : `${arity} argument${arity > 1 ? 's' : ''}`}, got ${args.length}\n${USAGE}`);
    return 2;
  }
  const misplaced = command === 'list' ? undefined : LIST_ONLY.find((flag) => values[flag] !== undefined);
  if (misplaced) {
    err(`error: --${misplaced} is an option of list only`);
    return 2;
  }
  if (values.yes && command !== 'delete') {
    err('error: --yes is an option of delete only');
    return 2;
  }

  try {
    // Check the command line before touching any table.
    for (const id of args) parseUserId(id);
    const limit = values.limit === undefined ? undefined : parseLimit(values.limit);
    const target = resolveTableTarget(values);
    const client = createDocumentClient({
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
      ...(target.region ? { region: target.region } : {}),
    });
    const admin = createUserAdmin({
      client,
      tableName: target.tableName,
      revokeProviderGrant: appleRevoker(client, target, values['kms-endpoint'] ?? target.kmsEndpoint),
    });
    if (command === 'delete' && !values.yes) {
      const what = `delete ${args[0]} with its linked identities, sessions and tokens? This cannot be undone.`;
      if (!(await confirm(what))) {
        err('not deleted (confirm, or pass --yes)');
        return 1;
      }
    }
    await runCommand(admin, command!, args, { ...values, limit }, out);
    return 0;
  } catch (error) {
    return reportFailure(error, err);
  }
};

const runCommand = async (
  admin: UserAdmin,
  command: string,
  args: string[],
  options: { json: boolean; connection?: string; limit?: number; cursor?: string },
  out: Line,
): Promise<void> => {
  const print = (lines: string[], json: unknown[]) => {
    for (const line of options.json ? json.map((value) => JSON.stringify(value)) : lines) out(line);
  };
  const [first, second] = args as [string, string];
  switch (command) {
    case 'get': {
      const user = await admin.getUser(first);
      print(formatUser(user), [user]);
      return;
    }
    case 'list': {
      const page = await admin.listUsers({
        ...(options.connection !== undefined ? { connection: options.connection } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
      });
      // JSON lines: one user per line, then the cursor line when another page exists.
      print(formatPage(page), [...page.users, ...(page.cursor ? [{ next_cursor: page.cursor }] : [])]);
      return;
    }
    case 'link': {
      const primary = await admin.link(first, second);
      print([`linked ${second} to ${first}; ${second}'s logins now yield ${first}`, '', ...formatUser(primary)], [primary]);
      return;
    }
    case 'unlink': {
      const result = await admin.unlink(first, second);
      print([`unlinked ${second} from ${first}; it is a user of its own again`, '', ...formatUser(result.unlinked)], [result]);
      return;
    }
    case 'delete': {
      const report = await admin.deleteUser(first);
      print(formatDeletion(report), [report]);
      return;
    }
    case 'block':
    case 'unblock': {
      const user = await admin.setBlocked(first, command === 'block');
      const line =
        command === 'block'
          ? `blocked ${first}: no new tokens, and its access and refresh tokens are refused until unblock`
          : `unblocked ${first}: its unexpired, unrevoked tokens work again`;
      print([line], [user]);
      return;
    }
    case 'sessions': {
      const sessions = await admin.sessions(first);
      print(formatSessions(sessions), sessions);
      return;
    }
    case 'revoke-sessions': {
      const ended = await admin.revokeSessions(first);
      print([`ended ${ended} session${ended === 1 ? '' : 's'} of ${first}`], [{ user_id: first, sessions_ended: ended }]);
      return;
    }
  }
};

/**
 * Deleting a user revokes the Apple refresh token kept with its identity (Apple requires it
 * of apps that offer account deletion, TN3194), signed with the connection's key.
 */
const appleRevoker = (client: ReturnType<typeof createDocumentClient>, target: TableTarget, kmsEndpoint: string | undefined) => {
  // Apple's private_key is stored encrypted (secrets at rest): decrypting it needs the
  // operator role named at deploy (-c adminRoleArn=), or the local stack's KMS endpoint.
  const kms = new KMSClient({
    ...(kmsEndpoint ? { endpoint: kmsEndpoint } : {}),
    ...(target.region ? { region: target.region } : {}),
  });
  const tenants = createTenantStore({
    client,
    tableName: target.tableName,
    ttlMs: 0,
    secrets: createKmsSecretOpener({ kms, timeoutMs: KMS_DEADLINE_MS, ...(target.secretsKeyId ? { keyId: target.secretsKeyId } : {}) }),
  });
  const apple = createAppleClient({ http: createProviderHttp(), now: Date.now });
  return async (grant: ProviderGrant): Promise<void> => {
    const [connection] = await tenants.connections([grant.connection]);
    if (!connection || connection.strategy !== 'apple') throw new Error(`connection ${grant.connection} is no longer an apple connection`);
    await apple.revoke(grant.refreshToken, connection.options);
  };
};

const parseLimit = (text: string): number => {
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new UserAdminError('invalid_argument', `--limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
  }
  return limit;
};

/** One line, never a stack trace; 2 for a command-line mistake, 1 for anything else. */
const reportFailure = (error: unknown, err: Line): number => {
  if (error instanceof CliUsageError) {
    err(`error: ${error.message}`);
    return 2;
  }
  if (error instanceof UserAdminError) {
    err(`error: ${error.message}`);
    return error.code === 'invalid_user_id' || error.code === 'invalid_argument' ? 2 : 1;
  }
  const { name = 'Error', message, code } = (error ?? {}) as { name?: string; message?: string; code?: string };
  if (name === 'ResourceNotFoundException') {
    err('error: the table does not exist (check --table and --region)');
    return 1;
  }
  // Network failures may carry an empty message (AggregateError of each address tried).
  const detail = (message || code || 'no details').split('\n')[0];
  err(`error: ${name === 'Error' ? '' : `${name}: `}${detail}`);
  return 1;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  silenceSdkNodeVersionWarning();
  runUsersCli(
    process.argv.slice(2),
    (line) => process.stdout.write(`${line}\n`),
    (line) => process.stderr.write(`${line}\n`),
  ).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
