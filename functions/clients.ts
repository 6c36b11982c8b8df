import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { reuseSigner } from './sdk/reuse-signer.js';

/** Endpoint overrides for tests; on AWS and under `npm start` the SDK reads AWS_ENDPOINT_URL_*. */
export interface ServiceEndpoints {
  dynamoEndpoint?: string;
  kmsEndpoint?: string;
}

/**
 * Request budget (token function timeout 15 s): provider step ≤ 7 s (one deadline), config read (cold only)
 * ≤ ~3.5 s, then the write step, where KMS has this deadline and DynamoDB ≤ ~3.5 s.
 */
export const KMS_DEADLINE_MS = 3_000;

/**
 * The KMS client's settings; `overrides` serve the benchmark (a transport that answers from memory).
 * Without `throwOnRequestTimeout` the SDK only warns about a stalled request and keeps waiting.
 * The connection settings, value by value:
 * - keepAlive: one Sign per exchange, one after another per container; a kept socket saves
 *   the handshake each time (the SDK's default, stated because we rely on it).
 * - maxSockets 50 (the SDK's default): a container signs one token at a time; only the
 *   in-process test runtime shares a client between concurrent requests.
 * - connectionTimeout 1 s, below the 1.5 s request timeout: KMS answers from several hosts,
 *   and a connection that does not open within 1 s is better retried (the next attempt may
 *   reach another) than waited for. Locally the KMS endpoint is a Node server whose accept
 *   backlog (511) no burst of containers fills, so no SYN is dropped and retransmitted there.
 */
export const kmsClientSettings = (endpoint?: string, overrides: Pick<KMSClientConfig, 'region' | 'requestHandler'> = {}): KMSClientConfig => {
  const agent = { keepAlive: true, maxSockets: 50 };
  return {
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true, httpAgent: agent, httpsAgent: agent },
    // The middleware stack is resolved once per command class, not on every call; calls
    // are sent without options to keep it so (see tokens/kms-call.ts).
    cacheMiddleware: true,
    ...overrides,
  };
};

/** The KMS client of a function (clients.ts settings, the signer kept: sdk/reuse-signer.ts). */
export const createKmsClient = (endpoint?: string, overrides?: Pick<KMSClientConfig, 'region' | 'requestHandler'>): KMSClient =>
  reuseSigner(new KMSClient(kmsClientSettings(endpoint, overrides)));

/** What the signer and the secret opener use of a KMS client; calls never carry options (see tokens/kms-call.ts). */
export type KmsSender = Pick<KMSClient, 'send'>;

/**
 * A KMS client built on its first call. The token functions call KMS only after a request's
 * config read, and the first request's prefetch (token-issuing-runtime.ts) makes that call
 * while the read is on the wire, so building the client (about 1 ms of a cold start's CPU,
 * tests/bench) leaves the path to the first I/O; a request refused before any I/O is
 * answered before it is built. (Loading the KMS module itself lazily was measured too: esbuild then wraps
 * every module it shares with DynamoDB in a lazy initializer, and the start got slower.)
 */
export const kmsOnFirstUse = (endpoint?: string): KmsSender => {
  const client = perContainer(() => createKmsClient(endpoint));
  const send = (command: Parameters<KMSClient['send']>[0], ...options: unknown[]) => {
    // Options would empty the client's middleware cache (tokens/kms-call.ts): refused loudly.
    if (options.length > 0) throw new TypeError('KMS calls carry no options here; deadlines are timers (tokens/kms-call.ts)');
    return client().send(command);
  };
  return { send: send as KMSClient['send'] };
};

/** Builds a value on first use and keeps it for the container's lifetime. */
export const perContainer = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};
