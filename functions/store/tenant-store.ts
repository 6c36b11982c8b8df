import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './keys.js';
import { storeFailure } from './dynamo.js';
import { errors } from '../core/errors.js';
import type { TenantDirectory, TenantLookup } from '../core/ports.js';
import type { ClientConfig, ConnectionConfig } from '../core/tenant.js';
import { openConnection, type SealedSecrets, type SecretOpener } from './connection-secrets.js';

export interface TenantStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long a lookup (found or not) is reused; 0 disables the cache. */
  ttlMs: number;
  now?: () => number;
  /** Bounds memory when callers probe many unknown client ids. */
  maxEntries?: number;
  /** Decrypts connection secrets; only the token function has one (and the right to use it). */
  secrets?: SecretOpener;
}

interface CacheEntry {
  expires: number;
  value: Promise<unknown>;
}

/**
 * Client and connection config from the table, fetched together in one BatchGetItem and
 * cached per container so the warm path makes no DynamoDB read for config.
 */
export const createTenantStore = (options: TenantStoreOptions): TenantDirectory => {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 1_000;
  const cache = new Map<string, CacheEntry>();

  const fetchBoth = async (clientId: string, connectionName: string): Promise<TenantLookup> => {
    const clientKey = itemKeys.client(clientId);
    const connectionKey = itemKeys.connection(connectionName);
    const byPk = await fetchItems([clientKey, connectionKey]);
    const connectionItem = byPk.get(connectionKey.pk);
    return {
      client: byPk.get(clientKey.pk)?.config as ClientConfig | undefined,
      connection: connectionItem === undefined ? undefined : await openItem(connectionItem),
    };
  };

  const openItem = (item: Record<string, unknown>): Promise<ConnectionConfig> =>
    openConnection(item.config as ConnectionConfig, item.sealed_secrets as SealedSecrets | undefined, options.secrets);

  const fetchItems = async (keys: ReturnType<typeof itemKeys.client>[]): Promise<Map<string, Record<string, unknown>>> => {
    let pending = keys;
    const found: Record<string, unknown>[] = [];
    // BatchGetItem may leave keys unprocessed under throttling: retry those a few times.
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt === 3) throw errors.unavailable('the tenant configuration could not be read', 'store_unavailable');
      let result;
      try {
        result = await options.client.send(
          new BatchGetCommand({ RequestItems: { [options.tableName]: { Keys: pending, ConsistentRead: false } } }),
        );
      } catch (error) {
        throw storeFailure(error);
      }
      found.push(...(result.Responses?.[options.tableName] ?? []));
      pending = (result.UnprocessedKeys?.[options.tableName]?.Keys ?? []) as typeof pending;
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
    return new Map(found.map((item) => [item.pk as string, item]));
  };

  // Keys of `lookup` are JSON arrays and those of the other two JSON objects, so no client
  // or connection name can make one kind of entry collide with another.
  const cached = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key);
    if (hit && hit.expires > now()) return hit.value as Promise<T>;
    const value = load();
    if (options.ttlMs > 0) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(key, { expires: now() + options.ttlMs, value: value as Promise<unknown> });
      // A failed read must not be cached: the next request tries again.
      value.catch(() => cache.delete(key));
    }
    return value;
  };

  // BatchGetItem reads at most 100 keys; a client enables far fewer connections than that.
  const MAX_BATCH = 100;

  return {
    lookup(clientId, connectionName) {
      return cached(JSON.stringify([clientId, connectionName]), () => fetchBoth(clientId, connectionName));
    },
    client(clientId) {
      return cached(JSON.stringify({ client: clientId }), async () => {
        const key = itemKeys.client(clientId);
        return (await fetchItems([key])).get(key.pk)?.config as ClientConfig | undefined;
      });
    },
    connections(names) {
      const wanted = [...new Set(names)].slice(0, MAX_BATCH);
      return cached(JSON.stringify({ connections: wanted }), async () => {
        if (wanted.length === 0) return [];
        const byPk = await fetchItems(wanted.map((name) => itemKeys.connection(name)));
        const items = wanted.flatMap((name) => {
          const item = byPk.get(itemKeys.connection(name).pk);
          return item ? [item] : [];
        });
        return Promise.all(items.map(openItem));
      });
    },
  };
};
