import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig, type SigningAlg } from '../../functions/config.js';
import { ensureTable } from '../../functions/store/table.js';
import { applyTenant, type ApplyReport } from '../../functions/store/tenant-admin.js';
import { createKmsSecretSealer } from '../../functions/store/kms-secrets.js';
import { createExchangeDependencies } from '../../functions/token/runtime.js';
import { createOAuthTokenDependencies } from '../../functions/oauth-token/runtime.js';
import { handleOAuthTokenEvent } from '../../functions/oauth-token/handle.js';
import { handleRevokeEvent } from '../../functions/oauth-revoke/handle.js';
import { createRevokeDependencies } from '../../functions/oauth-revoke/runtime.js';
import type { RevokeDependencies } from '../../functions/core/revoke.js';
import type { TokenEndpointDependencies } from '../../functions/core/token-endpoint.js';
import { createUserinfoDependencies } from '../../functions/userinfo/runtime.js';
import { createDiscoveryDependencies } from '../../functions/discovery/runtime.js';
import type { ExchangeDependencies } from '../../functions/core/exchange.js';
import type { UserinfoDependencies } from '../../functions/userinfo/handle.js';
import type { DiscoveryDependencies } from '../../functions/discovery/handle.js';
import { handleTokenEvent } from '../../functions/token/handle.js';
import { handleUserinfoEvent } from '../../functions/userinfo/handle.js';
import { handleDiscoveryEvent } from '../../functions/discovery/handle.js';
import type { Tenant } from '../../functions/core/tenant.js';
import type { ApiGatewayEvent } from '../../functions/http/event.js';
import type { EdgeDependencies } from '../../functions/http/edge.js';
import { startDynamoDbLocal, type DynamoDbLocalHandle } from './dynamodb-local.js';
import { startKmsEndpoint } from './kms/server.js';
import { prebuildFunctions, startApiGateway, type FunctionStats, type ModuleRoute } from './api-gateway.js';
import { HANDLER_ENTRIES } from '../bundling.js';
import { startFacebookEmulator, type FacebookEmulatorHandle, type FacebookEmulatorOptions } from './emulators/facebook.js';
import { startGoogleEmulator, type GoogleEmulatorHandle } from './emulators/google.js';
import { startTwitterEmulator, type TwitterEmulatorHandle } from './emulators/twitter.js';
import { startWeiboEmulator, type WeiboEmulatorHandle } from './emulators/weibo.js';
import { startAppleEmulator, type AppleEmulatorHandle } from './emulators/apple.js';
import { buildLocalTenant, DEFAULT_EMULATOR_PORTS, type EmulatorEndpoints } from './local-tenant.js';

/**
 * The whole service on loopback: DynamoDB Local, the KMS-compatible endpoint, the four
 * provider emulators and the API Gateway emulation in front of the real handlers.
 * `npm start` runs it with fixed ports; the integration tests run it with free ports and
 * share one DynamoDB Local and one KMS endpoint between stacks (each with its own table).
 */
export interface LocalStackOptions {
  /** API port; 0 picks a free one. Default 3000. */
  port?: number;
  /**
   * Address the API, the KMS endpoint and the emulators listen on; default 127.0.0.1.
   * (DynamoDB Local has no such setting: it listens on every interface.)
   */
  host?: string;
  payloadVersion?: '2.0' | '1.0';
  /** Emulator ports; 'free' picks free ones. Default DEFAULT_EMULATOR_PORTS. */
  emulatorPorts?: typeof DEFAULT_EMULATOR_PORTS | 'free';
  /** The tenant to apply; default: the local example tenant for the emulators' endpoints. */
  tenant?: Tenant | ((endpoints: EmulatorEndpoints) => Tenant);
  /** Reuse running services instead of starting them (tests). */
  dynamoEndpoint?: string;
  kmsEndpoint?: string;
  /** Ports for DynamoDB Local and the KMS endpoint when this stack starts them; default free. */
  dynamoPort?: number;
  kmsPort?: number;
  /** Keep DynamoDB data and KMS keys in this folder across restarts. */
  persistDir?: string;
  tableName?: string;
  signingAlg?: SigningAlg;
  /** Use this existing KMS key instead of creating one. */
  signingKeyId?: string;
  retiredKeyIds?: string[];
  providerTimeoutMs?: number;
  /** DynamoDB request timeout of the functions; default 5 s (DynamoDB Local is slow under load). */
  dynamoTimeoutMs?: number;
  /** Extra Facebook test tokens (load tests that need many distinct users). */
  facebookTokens?: FacebookEmulatorOptions['tokens'];
  configCacheTtlSeconds?: number;
  /** Unknown-kid JWKS refetch cool-down of POST /oauth/token; default 60 s. */
  jwksCooldownSeconds?: number;
  /** Act as the API behind CloudFront (`edge=waf`): requests must carry this origin-verify secret. */
  originVerifySecret?: string;
  /**
   * 'lambda': serve through the real `functions/<name>/handler.ts` modules, bundled as
   * deployed and run in Lambda-like containers (worker threads, one request at a time each,
   * see api-gateway/containers.ts), configured by their environment exactly as on AWS.
   * 'inline' (default): build this stack's own runtime, so tests can run several stacks.
   */
  entryPoints?: 'lambda' | 'inline';
  /**
   * 'lambda' only: containers per function at most, like a reserved concurrency (npm start:
   * FUNCTION_CONCURRENCY); past it the API answers 429. Default DEFAULT_FUNCTION_CONCURRENCY.
   */
  functionConcurrency?: number;
  /** 'lambda' only: where the functions' log lines go (their stdout); default this process's stdout. */
  functionLog?: (line: string) => void;
}

/** The collaborators of the functions, as built for an inline stack. */
export interface Runtime {
  exchange: ExchangeDependencies & { edge?: EdgeDependencies };
  /** POST /oauth/token. */
  oauthToken: TokenEndpointDependencies & { edge?: EdgeDependencies };
  /** POST /oauth/revoke. */
  revoke: RevokeDependencies & { edge?: EdgeDependencies };
  userinfo: UserinfoDependencies;
  discovery: DiscoveryDependencies;
}

export interface LocalStack {
  url: string;
  issuer: string;
  tableName: string;
  signingKeyId: string;
  signingAlg: SigningAlg;
  /** The symmetric key the connection secrets are encrypted under. */
  secretsKeyId: string;
  dynamoEndpoint: string;
  kmsEndpoint: string;
  kms: Awaited<ReturnType<typeof startKmsEndpoint>> | undefined;
  dynamo: DynamoDbLocalHandle | undefined;
  emulators: {
    facebook: FacebookEmulatorHandle;
    google: GoogleEmulatorHandle;
    twitter: TwitterEmulatorHandle;
    weibo: WeiboEmulatorHandle;
    apple: AppleEmulatorHandle;
  };
  tenantReport: ApplyReport;
  /** The environment the Lambda functions get (what `sam local`'s env-vars file would set). */
  environment: Record<string, string>;
  runtime: Runtime | undefined;
  routes: string[];
  /** 'lambda' only: containers and invocations per function so far (empty for an inline stack). */
  functionStats(): FunctionStats[];
  stop(): Promise<void>;
}

export const LOCAL_REGION = 'us-east-1';
export const ROUTES = [
  'POST /oauth/access_token',
  'POST /oauth/token',
  'POST /oauth/revoke',
  'GET /.well-known/openid-configuration',
  'GET /.well-known/jwks.json',
  'GET /userinfo',
  'POST /userinfo',
  'OPTIONS /oauth/access_token',
  'OPTIONS /oauth/token',
  'OPTIONS /oauth/revoke',
  'OPTIONS /userinfo',
] as const;

/**
 * The three functions as infra/stack.ts deploys them (memory, timeout; the token function's
 * timeout for the local 5 s provider timeout), each a module of its own.
 */
const LAMBDA_FUNCTIONS = {
  token: { module: { entry: HANDLER_ENTRIES.token }, functionName: 'local-token', memoryMb: 1024, timeoutMs: 15_000 },
  oauthToken: { module: { entry: HANDLER_ENTRIES.oauthToken }, functionName: 'local-oauth-token', memoryMb: 1024, timeoutMs: 15_000 },
  oauthRevoke: { module: { entry: HANDLER_ENTRIES.oauthRevoke }, functionName: 'local-oauth-revoke', memoryMb: 256, timeoutMs: 10_000 },
  userinfo: { module: { entry: HANDLER_ENTRIES.userinfo }, functionName: 'local-userinfo', memoryMb: 512, timeoutMs: 10_000 },
  discovery: { module: { entry: HANDLER_ENTRIES.discovery }, functionName: 'local-discovery', memoryMb: 256, timeoutMs: 10_000 },
} as const;

/** Dummy credentials: the local services accept any; the SDK insists on having some. */
export const useLocalCredentials = (): void => {
  process.env.AWS_REGION ??= LOCAL_REGION;
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
};

export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  useLocalCredentials();
  // esbuild works while java starts.
  if (options.entryPoints === 'lambda') prebuildFunctions(Object.values(LAMBDA_FUNCTIONS).map((fn) => fn.module.entry));
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    const ports = options.emulatorPorts === 'free' ? undefined : (options.emulatorPorts ?? DEFAULT_EMULATOR_PORTS);
    const host = options.host ? { host: options.host } : {};
    const [dynamo, kms, facebook, google, twitter, weibo, apple] = await Promise.all([
      options.dynamoEndpoint
        ? undefined
        : startDynamoDbLocal({
            ...(options.dynamoPort ? { port: options.dynamoPort } : {}),
            ...(options.persistDir ? { persistDir: `${options.persistDir}/dynamodb` } : {}),
          }),
      options.kmsEndpoint
        ? undefined
        : startKmsEndpoint({
            ...host,
            ...(options.kmsPort ? { port: options.kmsPort } : {}),
            ...(options.persistDir ? { stateFile: `${options.persistDir}/kms-keys.json` } : {}),
          }),
      startFacebookEmulator({
        ...host,
        ...(ports ? { port: ports.facebook } : {}),
        ...(options.facebookTokens ? { tokens: options.facebookTokens } : {}),
      }),
      startGoogleEmulator({ ...host, ...(ports ? { port: ports.google } : {}) }),
      startTwitterEmulator({ ...host, ...(ports ? { port: ports.twitter } : {}) }),
      startWeiboEmulator({ ...host, ...(ports ? { port: ports.weibo } : {}) }),
      startAppleEmulator({ ...host, ...(ports ? { port: ports.apple } : {}) }),
    ]);
    for (const service of [dynamo, kms, facebook, google, twitter, weibo, apple]) {
      if (service) stoppers.push(() => ('stop' in service ? service.stop() : service.close()));
    }
    const dynamoEndpoint = options.dynamoEndpoint ?? dynamo!.endpoint;
    const kmsEndpoint = options.kmsEndpoint ?? kms!.url;
    const tableName = options.tableName ?? 'social-token-exchange';
    const signingAlg = options.signingAlg ?? 'RS256';

    const ddb = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION });
    await ensureTable(ddb, tableName);
    const signingKeyId = options.signingKeyId ?? (await ensureSigningKey(kmsEndpoint, signingAlg, !options.kmsEndpoint));
    const secretsKeyId = await ensureSecretsKey(kmsEndpoint, !options.kmsEndpoint);
    const endpoints = {
      facebook: facebook.endpoints,
      google: google.endpoints,
      twitter: twitter.endpoints,
      weibo: weibo.endpoints,
      apple: apple.endpoints,
    };
    const tenant =
      typeof options.tenant === 'function' ? options.tenant(endpoints) : (options.tenant ?? buildLocalTenant(endpoints));
    const kmsClient = new KMSClient({ endpoint: kmsEndpoint, region: LOCAL_REGION });
    stoppers.push(async () => kmsClient.destroy());
    const tenantReport = await applyTenant({
      client: DynamoDBDocumentClient.from(ddb),
      tableName,
      tenant,
      secrets: createKmsSecretSealer({ kms: kmsClient, keyId: secretsKeyId }),
    });

    const environment: Record<string, string> = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_ENDPOINT_URL_KMS: kmsEndpoint,
      TABLE_NAME: tableName,
      SIGNING_KEY_ID: signingKeyId,
      SIGNING_ALG: signingAlg,
      SECRETS_KEY_ID: secretsKeyId,
      RETIRED_KEY_IDS: (options.retiredKeyIds ?? []).join(','),
      PROVIDER_TIMEOUT_MS: String(options.providerTimeoutMs ?? 5000),
      CONFIG_CACHE_TTL_SECONDS: String(options.configCacheTtlSeconds ?? 30),
      DYNAMODB_TIMEOUT_MS: String(options.dynamoTimeoutMs ?? 5000),
      JWKS_REFETCH_COOLDOWN_SECONDS: String(options.jwksCooldownSeconds ?? 60),
      ...(options.originVerifySecret ? { ORIGIN_VERIFY_SECRET: options.originVerifySecret } : {}),
    };

    const port = options.port ?? 3000;
    const payloadVersion = options.payloadVersion ?? '2.0';
    let runtime: Runtime | undefined;
    let issuer = '';
    let api;
    if (options.entryPoints === 'lambda') {
      const route = (method: string, path: string, fn: keyof typeof LAMBDA_FUNCTIONS): ModuleRoute => ({ method, path, ...LAMBDA_FUNCTIONS[fn] });
      api = await startApiGateway({
        port,
        ...host,
        payloadVersion,
        routes: [
          route('POST', '/oauth/access_token', 'token'),
          route('POST', '/oauth/token', 'oauthToken'),
          route('GET', '/.well-known/openid-configuration', 'discovery'),
          route('GET', '/.well-known/jwks.json', 'discovery'),
          route('GET', '/userinfo', 'userinfo'),
          route('POST', '/userinfo', 'userinfo'),
          // DESIGN section 12: preflights go to the route's own function.
          route('POST', '/oauth/revoke', 'oauthRevoke'),
          route('OPTIONS', '/oauth/access_token', 'token'),
          route('OPTIONS', '/oauth/token', 'oauthToken'),
          route('OPTIONS', '/oauth/revoke', 'oauthRevoke'),
          route('OPTIONS', '/userinfo', 'userinfo'),
        ],
        functions: {
          // Exactly what a Lambda function would see; the handlers build their runtime from it.
          environment: () => ({ ...environment, ISSUER: issuer }),
          ...(options.functionConcurrency !== undefined ? { concurrency: options.functionConcurrency } : {}),
          ...(options.functionLog ? { log: options.functionLog } : {}),
        },
      });
      issuer = `${api.url}/`;
    } else {
      // Requests cannot arrive before this function returns, by which time `runtime` is set.
      const current = () => runtime!;
      api = await startApiGateway({
        port,
        ...host,
        payloadVersion,
        routes: [
          ...['POST', 'OPTIONS'].map((method) => ({
            method,
            path: '/oauth/access_token',
            handler: (event: ApiGatewayEvent) => handleTokenEvent(event, { exchange: current().exchange, issuer, edge: current().exchange.edge }),
          })),
          ...['POST', 'OPTIONS'].map((method) => ({
            method,
            path: '/oauth/token',
            handler: (event: ApiGatewayEvent) => handleOAuthTokenEvent(event, { endpoint: current().oauthToken, issuer, edge: current().oauthToken.edge }),
          })),
          ...['POST', 'OPTIONS'].map((method) => ({
            method,
            path: '/oauth/revoke',
            handler: (event: ApiGatewayEvent) => handleRevokeEvent(event, { revoke: current().revoke, edge: current().revoke.edge }),
          })),
          ...['/.well-known/openid-configuration', '/.well-known/jwks.json'].map((path) => ({
            method: 'GET',
            path,
            handler: (event: ApiGatewayEvent) => handleDiscoveryEvent(event, current().discovery),
          })),
          ...['GET', 'POST', 'OPTIONS'].map((method) => ({
            method,
            path: '/userinfo',
            handler: (event: ApiGatewayEvent) => handleUserinfoEvent(event, current().userinfo),
          })),
        ],
      });
      issuer = `${api.url}/`;
      const config = loadConfig({ ...environment, ISSUER: issuer });
      const endpoints = { dynamoEndpoint, kmsEndpoint };
      const exchange = createExchangeDependencies(config, endpoints);
      exchange.prefetch();
      const oauthToken = createOAuthTokenDependencies(config, endpoints);
      oauthToken.prefetch();
      runtime = {
        exchange,
        oauthToken,
        revoke: createRevokeDependencies(config, endpoints),
        userinfo: createUserinfoDependencies(config, endpoints),
        discovery: createDiscoveryDependencies(config, endpoints),
      };
    }
    const apiServer = api;
    stoppers.push(() => apiServer.close());
    environment.ISSUER = issuer;
    return finish(api.url);

    function finish(url: string): LocalStack {
      return {
        url,
        issuer,
        tableName,
        signingKeyId,
        signingAlg,
        secretsKeyId,
        dynamoEndpoint,
        kmsEndpoint,
        kms,
        dynamo,
        emulators: { facebook, google, twitter, weibo, apple },
        tenantReport,
        environment,
        runtime,
        routes: [...ROUTES],
        functionStats: () => apiServer.functionStats(),
        stop,
      };
    }
  } catch (error) {
    await stop();
    throw error;
  }
};

const KEY_SPECS = { RS256: 'RSA_2048', ES256: 'ECC_NIST_P256' } as const;

/** The alias `npm start` gives its key, so `sam local`'s env-vars file can name it. */
export const localKeyAlias = (alg: SigningAlg) => `alias/social-token-exchange-${alg.toLowerCase()}`;

/** The alias `npm start` gives the key of the connection secrets. */
export const LOCAL_SECRETS_KEY_ALIAS = 'alias/social-token-exchange-secrets';

/** Creates the symmetric key of the connection secrets (or reuses a persisted one), as the CDK stack does. */
const ensureSecretsKey = async (kmsEndpoint: string, ownEndpoint: boolean): Promise<string> => {
  const kms = new KMSClient({ endpoint: kmsEndpoint, region: LOCAL_REGION });
  try {
    if (ownEndpoint) {
      try {
        const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: LOCAL_SECRETS_KEY_ALIAS }));
        if (KeyMetadata?.KeyId) return KeyMetadata.KeyId;
      } catch {
        // no key yet: create it below
      }
    }
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Description: 'local connection secrets key' }),
    );
    const keyId = KeyMetadata!.KeyId!;
    if (ownEndpoint) await kms.send(new CreateAliasCommand({ AliasName: LOCAL_SECRETS_KEY_ALIAS, TargetKeyId: keyId }));
    return keyId;
  } finally {
    kms.destroy();
  }
};

/**
 * Creates the signing key, or reuses the one of a previous run with persisted keys.
 * With a shared KMS endpoint (tests) every stack gets its own key and no alias.
 */
const ensureSigningKey = async (
  kmsEndpoint: string,
  alg: SigningAlg,
  ownEndpoint: boolean,
): Promise<string> => {
  const kms = new KMSClient({ endpoint: kmsEndpoint, region: LOCAL_REGION });
  const alias = localKeyAlias(alg);
  if (ownEndpoint) {
    try {
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
      if (KeyMetadata?.KeyId) return KeyMetadata.KeyId;
    } catch {
      // no key yet: create it below
    }
  }
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({ KeySpec: KEY_SPECS[alg], KeyUsage: 'SIGN_VERIFY', Description: 'local id_token signing key' }),
  );
  const keyId = KeyMetadata!.KeyId!;
  if (ownEndpoint) await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  return keyId;
};
