import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { errors, OAuthError } from '../core/errors.js';
import { perContainer } from '../clients.js';

export interface DocumentClientOptions {
  /** Overrides AWS_ENDPOINT_URL_DYNAMODB (tests, CLIs). */
  endpoint?: string;
  region?: string;
  /** Per-attempt request timeout; default 1 s. */
  requestTimeoutMs?: number;
  /** Replaces the HTTP handler (benchmarks: a transport that answers from memory). */
  requestHandler?: DynamoDBClientConfig['requestHandler'];
}

/**
 * One client per container. Bounded timeouts and attempts keep a stalled DynamoDB from
 * eating the request budget (3 attempts of at most 1 s plus jittered backoff: about 3.5 s);
 * the SDK's standard retry mode adds the backoff. Without `throwOnRequestTimeout` the SDK
 * only warns about a request past its timeout and keeps waiting.
 */
export const createDocumentClient = (options: DocumentClientOptions = {}): DynamoDBDocumentClient => {
  const config = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: 3,
    requestHandler: options.requestHandler ?? {
      connectionTimeout: 1_000,
      requestTimeout: options.requestTimeoutMs ?? 1_000,
      throwOnRequestTimeout: true,
    },
  };
  const base = new DynamoDBClient(config);
  const documents = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  // Same settings and the same HTTP handler (one connection pool), but the middleware stack
  // is resolved once per command class instead of on every call (`cacheMiddleware`, which
  // the DocumentClient refuses: its commands must stay on `documents`). Built on first use,
  // so a function that never writes on the hot path (userinfo) never builds it.
  itemClients.set(documents, perContainer(() => new DynamoDBClient({ ...config, requestHandler: base.config.requestHandler, cacheMiddleware: true })));
  return documents;
};

/** The low-level client a DocumentClient of createDocumentClient was paired with. */
const itemClients = new WeakMap<DynamoDBDocumentClient, () => DynamoDBClient>();

/**
 * Where the hot path's low-level item commands (UpdateItem, PutItem with attribute values
 * written out) go: the paired client of createDocumentClient, or, for a DocumentClient
 * built elsewhere (tests, tools), that client itself, which sends them unchanged.
 */
export const itemCommandClient = (documents: DynamoDBDocumentClient): Pick<DynamoDBClient, 'send'> =>
  itemClients.get(documents)?.() ?? (documents as unknown as DynamoDBClient);

const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TimeoutError',
  'RequestTimeout',
]);

/** Maps a DynamoDB failure to a 503 when waiting may help, otherwise a 500. */
export const storeFailure = (error: unknown): OAuthError => {
  if (error instanceof OAuthError) return error;
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const networkLevel = status === undefined || status >= 500;
  if (TRANSIENT.has(name) || networkLevel) {
    return errors.unavailable('the user store is temporarily unavailable', 'store_unavailable', error);
  }
  return errors.unexpected(error);
};

export const isConditionalCheckFailure = (error: unknown): error is { name: string; Item?: Record<string, unknown> } =>
  (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
