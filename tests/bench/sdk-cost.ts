import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { marshall } from '@aws-sdk/util-dynamodb';
import { setLogSink } from '../../functions/core/logger.js';
import { createTenantStore } from '../../functions/store/tenant-store.js';
import { createTokenStore } from '../../functions/store/token-store.js';
import { createUserStore } from '../../functions/store/user-store.js';
import { createProviderVerifier } from '../../functions/providers/verifier.js';
import { createKmsSigner } from '../../functions/tokens/kms-signer.js';
import { itemKeys } from '../../functions/store/keys.js';
import { client, connection, instantGraph, measure, profile, type HandlerCostFigures } from './handler-cost.js';

/**
 * The warm exchange's CPU with the real adapters: the same store, signer and verifier
 * modules as functions/runtime.ts, on real SDK clients (middleware stack, SigV4, JSON
 * serde) and ky, whose transports answer instantly in-process. Next to the ports-faked
 * figure this shows what the AWS SDK and fetch cost per exchange; only the network and
 * the other side's work are missing.
 */
const TABLE = 'bench';
const KEY_ID = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000';

interface InstantAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** An SDK request handler that answers from memory, as a Node HTTP response would (a stream). */
const instantHandler = (answer: (target: string, body: string) => InstantAnswer) => ({
  async handle(request: { headers: Record<string, string>; body?: unknown }) {
    const reply = answer(request.headers['x-amz-target'] ?? '', typeof request.body === 'string' ? request.body : '');
    return {
      response: {
        statusCode: reply.status,
        headers: { 'content-type': reply.contentType, 'x-amzn-requestid': 'bench', 'content-length': String(Buffer.byteLength(reply.body)) },
        body: Readable.from([Buffer.from(reply.body)]),
      },
    };
  },
  updateHttpClientConfig() {},
  httpHandlerConfigs: () => ({}),
  destroy() {},
});

const dynamoAnswers = () => {
  const json = (value: unknown): InstantAnswer => ({ status: 200, contentType: 'application/x-amz-json-1.0', body: JSON.stringify(value) });
  const now = new Date().toISOString();
  const userItem = marshall(
    {
      ...itemKeys.user(`facebook|${profile.provider_user_id}`),
      type: 'user',
      user_id: `facebook|${profile.provider_user_id}`,
      profile: profile.claims,
      identities: [{ provider: 'facebook', user_id: profile.provider_user_id, connection: 'facebook' }],
      created_at: now,
      updated_at: now,
      last_login: now,
      last_login_id: 'x',
      logins_count: 42,
    },
    { removeUndefinedValues: true },
  );
  const configs = [
    marshall({ ...itemKeys.client(client.client_id), type: 'client', config: client }, { removeUndefinedValues: true }),
    marshall({ ...itemKeys.connection(connection.name), type: 'connection', config: connection }, { removeUndefinedValues: true }),
  ];
  const answers = {
    batch: json({ Responses: { [TABLE]: configs }, UnprocessedKeys: {} }),
    userUpdate: json({ Attributes: userItem }),
    empty: json({}),
  };
  return (target: string, body: string): InstantAnswer => {
    if (target.endsWith('.BatchGetItem')) return answers.batch;
    if (target.endsWith('.UpdateItem') && body.includes('"ALL_NEW"')) return answers.userUpdate;
    return answers.empty;
  };
};

const kmsAnswers = () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const json = (value: unknown): InstantAnswer => ({ status: 200, contentType: 'application/x-amz-json-1.1', body: JSON.stringify(value) });
  const getPublicKey = json({
    KeyId: KEY_ID,
    KeySpec: 'RSA_2048',
    KeyUsage: 'SIGN_VERIFY',
    PublicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256'],
  });
  const sign = json({ KeyId: KEY_ID, Signature: Buffer.alloc(256, 7).toString('base64'), SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' });
  return (target: string): InstantAnswer => (target.endsWith('.GetPublicKey') ? getPublicKey : sign);
};

export const measureSdkCost = async (options = { batches: 20, batchSize: 100, warmup: 300 }): Promise<HandlerCostFigures> => {
  const previous = setLogSink(() => undefined);
  const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const dynamo = new DynamoDBClient({ region: 'us-east-1', credentials, maxAttempts: 3, requestHandler: instantHandler(dynamoAnswers()) });
  const kms = new KMSClient({ region: 'us-east-1', credentials, maxAttempts: 3, requestHandler: instantHandler(kmsAnswers()) });
  try {
    // The same marshalling options as functions/store/dynamo.ts.
    const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
    const users = createUserStore({ client: documents, tableName: TABLE });
    return await measure(
      'real adapters: SDK clients (SigV4, serde) + ky, instant transports',
      {
        exchange: {
          tenants: createTenantStore({ client: documents, tableName: TABLE, ttlMs: 60_000 }),
          users,
          tokens: createTokenStore({ client: documents, tableName: TABLE }),
          verifier: createProviderVerifier({ fetch: instantGraph }),
          signer: createKmsSigner({ kms, keyId: KEY_ID, alg: 'RS256' }),
          clock: { now: () => new Date() },
          accessTokenTtlSeconds: 86_400,
        },
        issuer: 'https://auth.example.com/',
      },
      options,
    );
  } finally {
    dynamo.destroy();
    kms.destroy();
    setLogSink(previous);
  }
};
