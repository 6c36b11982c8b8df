import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { startKmsEndpoint, type KmsEndpointHandle } from '../../infra/local/kms/server.js';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.js';
import { FACEBOOK_TEST_TOKENS } from '../../infra/local/emulators/facebook.js';
import { GOOGLE_TEST_TOKENS } from '../../infra/local/emulators/google.js';
import { TWITTER_TEST_TOKENS } from '../../infra/local/emulators/twitter.js';
import { WEIBO_TEST_TOKENS } from '../../infra/local/emulators/weibo.js';
import { startDelayProxy, type DelayProxyHandle } from './delay-proxy.js';

/**
 * The local stack the latency benchmarks run against, with every network dependency
 * behind a delay switch: the provider emulators and the KMS endpoint have their own, and
 * DynamoDB Local sits behind our delaying proxy.
 */
export interface BenchServices {
  stack: LocalStack;
  kms: KmsEndpointHandle;
  dynamoProxy: DelayProxyHandle;
  /** DynamoDB Local itself, without the proxy (benchmarks of connection behaviour). */
  dynamoEndpoint: string;
  /** One fixed delay in front of every provider, KMS and DynamoDB call. */
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

export const startBenchServices = async (): Promise<BenchServices> => {
  const [dynamo, kms] = await Promise.all([startDynamoDbLocal(), startKmsEndpoint()]);
  const stoppers: Array<() => Promise<void>> = [() => dynamo.stop(), () => kms.close()];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
  };
  try {
    const dynamoProxy = await startDelayProxy(dynamo.endpoint);
    stoppers.push(() => dynamoProxy.close());
    const stack = await startLocalStack({
      port: 0,
      emulatorPorts: 'free',
      dynamoEndpoint: dynamoProxy.url,
      kmsEndpoint: kms.url,
      tableName: 'bench',
    });
    stoppers.push(() => stack.stop());
    return {
      stack,
      kms,
      dynamoProxy,
      dynamoEndpoint: dynamo.endpoint,
      setDelay(ms) {
        for (const emulator of Object.values(stack.emulators)) emulator.setDelay(ms);
        kms.setDelay(ms);
        dynamoProxy.setDelay(ms);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};

export type BenchProvider = 'facebook' | 'google-oauth2' | 'twitter' | 'weibo';

/** A valid exchange request per provider, for a user of the local example tenant's app. */
export const exchangeFields: Record<BenchProvider, Record<string, string>> = {
  facebook: { client_id: 'my-app', connection: 'facebook', access_token: FACEBOOK_TEST_TOKENS.alice, scope: 'openid profile email' },
  'google-oauth2': { client_id: 'my-app', connection: 'google-oauth2', access_token: GOOGLE_TEST_TOKENS.alice, scope: 'openid profile email' },
  twitter: {
    client_id: 'my-app',
    connection: 'twitter',
    access_token: TWITTER_TEST_TOKENS.ada.token,
    access_token_secret: TWITTER_TEST_TOKENS.ada.secret,
    scope: 'openid profile email',
  },
  weibo: { client_id: 'my-app', connection: 'weibo', access_token: WEIBO_TEST_TOKENS.lin.token, scope: 'openid profile' },
};

/** Several users per provider, for the throughput mix (not all clients hammering one item). */
export const throughputMix: Array<Record<string, string>> = [
  exchangeFields.facebook,
  { ...exchangeFields.facebook, access_token: FACEBOOK_TEST_TOKENS.bobNoEmail },
  exchangeFields['google-oauth2'],
  { ...exchangeFields['google-oauth2'], access_token: GOOGLE_TEST_TOKENS.bobNoEmail },
  { ...exchangeFields['google-oauth2'], access_token: GOOGLE_TEST_TOKENS.carolAndroid },
  exchangeFields.twitter,
  { ...exchangeFields.twitter, access_token: TWITTER_TEST_TOKENS.grace.token, access_token_secret: TWITTER_TEST_TOKENS.grace.secret },
  exchangeFields.weibo,
  { ...exchangeFields.weibo, access_token: WEIBO_TEST_TOKENS.zhou.token },
];

export interface ExchangeOutcome {
  status: number | 'network_error';
  ms: number;
}

/** One `POST /oauth/access_token` through the API Gateway emulation, timed at the client. */
export const exchange = async (url: string, fields: Record<string, string>): Promise<ExchangeOutcome> => {
  const started = performance.now();
  try {
    const response = await fetch(`${url}/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fields),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  } catch {
    return { status: 'network_error', ms: performance.now() - started };
  }
};
