import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { itemKeys, type ItemKey } from './keys.js';
import type { ConnectionConfig, Tenant } from '../core/tenant.js';
import { matchesFingerprint, sealConnection, secretsOf, withoutSecrets, type SecretSealer } from './connection-secrets.js';
import { ORIGIN_INDEX_KEY } from './client-origins.js';

export interface ApplyReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** In the table but not in the file: kept unless `prune`. */
  stale: string[];
  deleted: string[];
}

interface ConfigItem {
  key: ItemKey;
  label: string;
  config: unknown;
  /** A connection as the file has it (secrets in clear), to compare with the stored fingerprint. */
  connection?: ConnectionConfig;
  fingerprint?: unknown;
  sealed?: unknown;
}

/**
 * Writes a tenant file to the table. Applying the same file twice writes nothing;
 * clients and connections missing from the file are reported, and deleted only on request.
 * Connection secrets are encrypted with `secrets` (KMS Encrypt only) before they are written.
 */
export const applyTenant = async (options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  tenant: Tenant;
  prune?: boolean;
  secrets?: SecretSealer;
}): Promise<ApplyReport> => {
  const { client, tableName, tenant } = options;
  // Refused before any write, so a missing key never leaves half a file applied.
  const needingKey = tenant.connections.filter((connection) => secretsOf(connection).length > 0);
  if (needingKey.length > 0 && options.secrets === undefined) {
    throw new Error(`connection ${needingKey[0]!.name} has secrets, and no secrets key to encrypt them with was given`);
  }
  const existing = await readConfigItems(client, tableName);
  const wanted: ConfigItem[] = [
    ...tenant.connections.map((connection) => ({
      key: itemKeys.connection(connection.name),
      label: `connection ${connection.name}`,
      config: connection,
      connection,
    })),
    ...tenant.clients.map((client) => ({
      key: itemKeys.client(client.client_id),
      label: `client ${client.client_id}`,
      config: client,
    })),
  ];
  const report: ApplyReport = { created: [], updated: [], unchanged: [], stale: [], deleted: [] };
  for (const item of wanted) {
    const current = existing.get(item.key.pk);
    existing.delete(item.key.pk);
    const sealed = item.connection === undefined ? undefined : await sealIfChanged(item.connection, current, options.secrets);
    if (sealed === 'unchanged') {
      report.unchanged.push(item.label);
      continue;
    }
    const normalized = JSON.parse(JSON.stringify(sealed?.config ?? item.config)) as unknown;
    if (sealed === undefined && current && isDeepStrictEqual(current.config, normalized) && current.sealed === undefined) {
      report.unchanged.push(item.label);
      continue;
    }
    const hasSecrets = sealed !== undefined && Object.keys(sealed.sealed).length > 0;
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...item.key,
          type: item.key.pk.split('#')[0]!.toLowerCase(),
          config: normalized,
          ...(hasSecrets ? { sealed_secrets: sealed.sealed, secrets_fingerprint: sealed.fingerprint } : {}),
          updated_at: new Date().toISOString(),
        },
      }),
    );
    (current ? report.updated : report.created).push(item.label);
  }
  const keptClients: unknown[] = tenant.clients.map((entry) => entry as unknown);
  for (const stale of existing.values()) {
    if (options.prune) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: stale.key }));
      report.deleted.push(stale.label);
    } else {
      report.stale.push(stale.label);
      if (stale.key.pk.startsWith('CLIENT#')) keptClients.push(stale.config);
    }
  }
  await writeOriginIndex(client, tableName, keptClients, report);
  return report;
};

/**
 * 'unchanged' when the stored item already holds this connection: the same non-secret
 * config, and secrets matching the stored fingerprint (encrypted under the same key).
 * Otherwise the connection sealed afresh, ready to write.
 */
const sealIfChanged = async (
  connection: ConnectionConfig,
  current: ConfigItem | undefined,
  secrets: SecretSealer | undefined,
): Promise<Awaited<ReturnType<typeof sealConnection>> | 'unchanged'> => {
  if (current !== undefined) {
    const sameConfig = isDeepStrictEqual(current.config, JSON.parse(JSON.stringify(withoutSecrets(connection))));
    const sameSecrets =
      secretsOf(connection).length === 0
        ? current.sealed === undefined
        : secrets !== undefined && current.sealed !== undefined && matchesFingerprint(current.fingerprint, secrets.keyId, connection);
    if (sameConfig && sameSecrets) return 'unchanged';
  }
  return sealConnection(connection, secrets);
};

const readConfigItems = async (client: DynamoDBDocumentClient, tableName: string): Promise<Map<string, ConfigItem>> => {
  const items = new Map<string, ConfigItem>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'sk = :config AND (begins_with(pk, :client) OR begins_with(pk, :connection))',
        ExpressionAttributeValues: { ':config': 'CONFIG', ':client': 'CLIENT#', ':connection': 'CONNECTION#' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const pk = item.pk as string;
      const [kind, ...rest] = pk.split('#');
      items.set(pk, {
        key: { pk, sk: item.sk as string },
        label: `${kind!.toLowerCase()} ${rest.join('#')}`,
        config: item.config,
        ...(item.sealed_secrets === undefined ? {} : { sealed: item.sealed_secrets, fingerprint: item.secrets_fingerprint }),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/**
 * The union of the allowed origins of every client left in the table (those kept as stale
 * too), for preflights (store/client-origins.ts). Written only when it changes.
 */
const writeOriginIndex = async (client: DynamoDBDocumentClient, tableName: string, clients: unknown[], report: ApplyReport) => {
  const origins = [
    ...new Set(
      clients.flatMap((config) => {
        const list = (config as { allowed_origins?: unknown } | undefined)?.allowed_origins;
        return Array.isArray(list) ? list.filter((origin): origin is string => typeof origin === 'string') : [];
      }),
    ),
  ].sort();
  const { Item: current } = await client.send(new GetCommand({ TableName: tableName, Key: ORIGIN_INDEX_KEY, ConsistentRead: true }));
  if (current === undefined && origins.length === 0) return;
  if (current !== undefined && isDeepStrictEqual(current.origins, origins)) return;
  await client.send(
    new PutCommand({ TableName: tableName, Item: { ...ORIGIN_INDEX_KEY, type: 'cors', origins, updated_at: new Date().toISOString() } }),
  );
  (current ? report.updated : report.created).push('allowed origins index');
};
