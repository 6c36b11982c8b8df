import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemKeys, type ItemKey } from './keys.js';
import { storeFailure } from './dynamo.js';
import type { OriginDirectory } from '../core/ports.js';

/**
 * The union of every client's `allowed_origins`, kept by `applyTenant` in one item: a
 * preflight names no client, and one cached read per container answers any origin (probing
 * many origins costs no extra reads).
 */
export const ORIGIN_INDEX_KEY: ItemKey = { pk: 'CORS', sk: 'ORIGINS' };

interface Cached<T> {
  expires: number;
  value: Promise<T>;
}

export const createOriginDirectory = (options: {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long an answer is reused, like the tenant config's cache; 0 disables caching. */
  ttlMs: number;
  now?: () => number;
  maxEntries?: number;
}): OriginDirectory => {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 1_000;
  let index: Cached<ReadonlySet<string>> | undefined;
  const clients = new Map<string, Cached<readonly string[]>>();

  /** `attribute` is the top-level attribute to read (`#a`), `path` the rest of the projection. */
  const read = async (key: ItemKey, attribute: string, path = ''): Promise<Record<string, unknown> | undefined> => {
    try {
      const { Item } = await options.client.send(
        new GetCommand({ TableName: options.tableName, Key: key, ProjectionExpression: `#a${path}`, ExpressionAttributeNames: { '#a': attribute } }),
      );
      return Item;
    } catch (error) {
      throw storeFailure(error);
    }
  };

  const cached = <T>(entry: Cached<T> | undefined, load: () => Promise<T>, keep: (fresh: Cached<T>) => void, drop: () => void): Promise<T> => {
    if (entry && entry.expires > now()) return entry.value;
    const value = load();
    if (options.ttlMs > 0) {
      keep({ expires: now() + options.ttlMs, value });
      value.catch(drop);
    }
    return value;
  };

  return {
    ofClient(clientId) {
      return cached(
        clients.get(clientId),
        async () => {
          const item = await read(itemKeys.client(clientId), 'config', '.allowed_origins');
          const origins = (item?.config as { allowed_origins?: unknown } | undefined)?.allowed_origins;
          return Array.isArray(origins) ? origins.filter((origin): origin is string => typeof origin === 'string') : [];
        },
        (fresh) => {
          if (clients.size >= maxEntries) clients.delete(clients.keys().next().value as string);
          clients.set(clientId, fresh);
        },
        () => clients.delete(clientId),
      );
    },
    async anyClientAllows(origin) {
      const origins = await cached(
        index,
        async () => {
          const item = await read(ORIGIN_INDEX_KEY, 'origins');
          return new Set(Array.isArray(item?.origins) ? (item.origins as unknown[]).filter((o): o is string => typeof o === 'string') : []);
        },
        (fresh) => (index = fresh),
        () => (index = undefined),
      );
      return origins.has(origin);
    },
  };
};
