import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { errors, OAuthError } from '../core/errors.js';
import { perContainer } from '../clients.js';
import { reuseSigner } from '../sdk/reuse-signer.js';

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
 *
 * The connection settings, value by value:
 * - keepAlive: a container serves its requests one after another, and reusing the socket
 *   saves a TCP (and, on AWS, TLS) handshake per call. It also means a burst served by warm
 *   containers opens no new connection at all (the SDK's default, stated because we rely on it).
 * - maxSockets 50 (the SDK's default): a container runs one exchange at a time with at most
 *   a few calls in flight, so it never gets near; only the in-process test runtime, where
 *   one client serves every concurrent request, reaches it, and 50 is also the accept
 *   backlog of DynamoDB Local (Java's default), which one client then cannot overflow.
 * - connectionTimeout equal to the request timeout: the SDK starts both timers when the
 *   request is made (waiting for a free socket included), so the request timeout already
 *   bounds connecting. A shorter connect bound only adds one failure: when a burst of new
 *   connections fills a server's accept queue, the kernel drops the SYN and the client
 *   sends it again after 1 s (then 3 s), so a 1 s connect timeout fails exactly the
 *   connections a moment's patience would have made. That was issue 16's 503s against
 *   DynamoDB Local under `npm start` (5 s per attempt there); on AWS both are 1 s, as before.
 */
export const createDocumentClient = (options: DocumentClientOptions = {}): DynamoDBDocumentClient => {
  const requestTimeout = options.requestTimeoutMs ?? 1_000;
  const agent = { keepAlive: true, maxSockets: 50 };
  const config = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: 3,
    requestHandler: options.requestHandler ?? {
      connectionTimeout: requestTimeout,
      requestTimeout,
      throwOnRequestTimeout: true,
      httpAgent: agent,
      httpsAgent: agent,
    },
  };
  const base = reuseSigner(new DynamoDBClient(config));
  const documents = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  // Same settings and the same HTTP handler (one connection pool), but the middleware stack
  // is resolved once per command class instead of on every call (`cacheMiddleware`, which
  // the DocumentClient refuses: its commands must stay on `documents`). Built on first use,
  // so a function that never writes on the hot path (userinfo) never builds it.
  itemClients.set(documents, perContainer(() => reuseSigner(new DynamoDBClient({ ...config, requestHandler: base.config.requestHandler, cacheMiddleware: true }))));
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
