import { readLocalState, type LocalStackState } from './state-file.js';

/** Where an admin CLI writes: the running local stack, or a table named on the command line. */
export interface TableTarget {
  tableName: string;
  endpoint: string | undefined;
  region: string | undefined;
  description: string;
  /** Set when the target is the running `npm start` stack. */
  local?: LocalStackState;
  /** The local stack's KMS endpoint and secrets key (undefined for a table named on the command line). */
  kmsEndpoint?: string;
  secretsKeyId?: string;
}

/** The parseArgs options that name a target table; shared by the admin CLIs. */
export const TABLE_TARGET_OPTIONS = {
  table: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
} as const;

/**
 * The AWS SDK warns on every run that its later versions will need Node 22: noise for an
 * operator's one-shot command (`npm start` silences it the same way). Call before any client exists.
 */
export const silenceSdkNodeVersionWarning = (): void => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
};

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export const resolveTableTarget = (flags: { table?: string; endpoint?: string; region?: string }): TableTarget => {
  if (flags.table) {
    return {
      tableName: flags.table,
      endpoint: flags.endpoint,
      region: flags.region,
      description: `table ${flags.table}${flags.endpoint ? ` at ${flags.endpoint}` : ''}`,
    };
  }
  if (flags.endpoint) throw new CliUsageError('--endpoint needs --table NAME');
  const local = readLocalState();
  if (!local) {
    throw new CliUsageError(
      'no local stack is running: start it with `npm start`, or name a deployed table with --table NAME (and --region)',
    );
  }
  // The local services accept any credentials; the SDK only needs some to sign with.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  return {
    tableName: local.tableName,
    endpoint: local.dynamoEndpoint,
    region: local.region,
    description: `the local stack's table ${local.tableName} (${local.dynamoEndpoint})`,
    local,
    kmsEndpoint: local.kmsEndpoint,
    ...(local.secretsKeyId ? { secretsKeyId: local.secretsKeyId } : {}),
  };
};
