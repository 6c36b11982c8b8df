import { KMSClient } from '@aws-sdk/client-kms';

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
export const createKmsClient = (endpoint?: string): KMSClient => {
  const agent = { keepAlive: true, maxSockets: 50 };
  return new KMSClient({
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true, httpAgent: agent, httpsAgent: agent },
  });
};

/** Builds a value on first use and keeps it for the container's lifetime. */
export const perContainer = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};
