import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTenantJson, TenantFileError } from '../../functions/core/tenant.js';
import { createDocumentClient } from '../../functions/store/dynamo.js';
import { KMSClient } from '@aws-sdk/client-kms';
import { applyTenant } from '../../functions/store/tenant-admin.js';
import { createKmsSecretSealer } from '../../functions/store/kms-secrets.js';
import { CliUsageError, resolveTableTarget, silenceSdkNodeVersionWarning, TABLE_TARGET_OPTIONS } from './cli-target.js';
import { followRunningEmulators } from './local-tenant.js';

/**
 * `npm run tenant -- apply FILE [--table NAME --secrets-key ARN] [--endpoint URL] [--region REGION] [--prune]`
 * `npm run tenant -- validate FILE`
 * Without --table it writes to the local stack `npm start` is running. Connection secrets
 * are encrypted under the secrets key (the stack output SecretsKeyId) with kms:Encrypt only.
 * Results go to `out`, errors to `err` (stderr), with exit code 1 (refused, failed) or 2 (bad command line).
 */
const USAGE = `usage:
  npm run tenant -- apply FILE [--table NAME --secrets-key ARN] [--endpoint URL] [--kms-endpoint URL] [--region REGION] [--prune]
  npm run tenant -- validate FILE`;

type Line = (line: string) => void;

export const runTenantCli = async (argv: string[], out: Line, err: Line = out): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...TABLE_TARGET_OPTIONS,
        prune: { type: 'boolean', default: false },
        'secrets-key': { type: 'string' },
        'kms-endpoint': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    err(`error: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, file, ...extra] = parsed.positionals;
  if (parsed.values.help) {
    out(USAGE);
    return 0;
  }
  if ((command !== 'apply' && command !== 'validate') || !file || extra.length > 0) {
    err(`error: expected a command and one file\n${USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    err(`error: cannot read ${file}`);
    return 1;
  }
  try {
    const tenant = parseTenantJson(text);
    if (command === 'validate') {
      out(`${file} is valid: ${tenant.clients.length} clients, ${tenant.connections.length} connections`);
      return 0;
    }
    const target = resolveTableTarget(parsed.values);
    const client = createDocumentClient({
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
      ...(target.region ? { region: target.region } : {}),
    });
    const running = target.local?.emulators;
    const followed = running ? followRunningEmulators(tenant, running) : { tenant, moved: [] };
    const secretsKeyId = parsed.values['secrets-key'] ?? target.secretsKeyId;
    const kmsEndpoint = parsed.values['kms-endpoint'] ?? target.kmsEndpoint;
    const kms =
      secretsKeyId === undefined
        ? undefined
        : new KMSClient({ ...(kmsEndpoint ? { endpoint: kmsEndpoint } : {}), ...(target.region ? { region: target.region } : {}) });
    let report;
    try {
      report = await applyTenant({
        client,
        tableName: target.tableName,
        tenant: followed.tenant,
        prune: parsed.values.prune,
        ...(kms && secretsKeyId ? { secrets: createKmsSecretSealer({ kms, keyId: secretsKeyId }) } : {}),
      });
    } catch (error) {
      if (secretsKeyId === undefined && /no secrets key/.test((error as Error).message)) {
        throw new CliUsageError(`${(error as Error).message}: pass --secrets-key ARN (the stack output SecretsKeyId)`);
      }
      throw error;
    } finally {
      kms?.destroy();
    }
    out(`applied ${file} to ${target.description}`);
    if (followed.moved.length > 0) {
      out(`  endpoints of ${followed.moved.join(', ')} moved from the default emulator ports to the running emulators`);
    }
    for (const [label, entries] of Object.entries(report)) {
      if (entries.length > 0) out(`  ${label.padEnd(9)} ${entries.join(', ')}`);
    }
    if (report.stale.length > 0) out('  (items not in the file are kept; pass --prune to delete them)');
    return 0;
  } catch (error) {
    if (error instanceof TenantFileError) {
      err(`error: ${file}: ${error.message}`);
      return 1;
    }
    if (error instanceof CliUsageError) {
      err(`error: ${error.message}`);
      return 2;
    }
    // AWS errors: name and message only (never a stack trace).
    const name = (error as { name?: string }).name ?? 'Error';
    err(`error: ${name}: ${(error as Error).message}`);
    return 1;
  }
};

if (import.meta.url === `file://${process.argv[1]}`) {
  silenceSdkNodeVersionWarning();
  runTenantCli(
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
