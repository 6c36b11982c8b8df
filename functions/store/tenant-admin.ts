import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { itemKeys, type ItemKey } from './keys.js';
import { ORIGIN_INDEX_KEY } from './client-origins.js';
import type { Tenant } from '../core/tenant.js';

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
}

/**
 * Writes a tenant file to the table. Applying the same file twice writes nothing;
 * clients and connections missing from the file are reported, and deleted only on request.
 */
export const applyTenant = async (options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  tenant: Tenant;
  prune?: boolean;
}): Promise<ApplyReport> => {
  const { client, tableName, tenant } = options;
  const existing = await readConfigItems(client, tableName);
  const wanted: ConfigItem[] = [
    ...tenant.connections.map((connection) => ({
      key: itemKeys.connection(connection.name),
      label: `connection ${connection.name}`,
      config: connection,
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
    const normalized = JSON.parse(JSON.stringify(item.config)) as unknown;
    if (current && isDeepStrictEqual(current.config, normalized)) {
      report.unchanged.push(item.label);
      continue;
    }
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...item.key, type: item.key.pk.split('#')[0]!.toLowerCase(), config: normalized, updated_at: new Date().toISOString() },
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
      items.set(pk, { key: { pk, sk: item.sk as string }, label: `${kind!.toLowerCase()} ${rest.join('#')}`, config: item.config });
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
