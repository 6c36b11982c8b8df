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

/** Without `throwOnRequestTimeout` the SDK only warns about a stalled request and keeps waiting. */
export const createKmsClient = (endpoint?: string): KMSClient =>
  new KMSClient({
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
  });

/** Builds a value on first use and keeps it for the container's lifetime. */
export const perContainer = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};
