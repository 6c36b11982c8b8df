import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig, type SigningAlg } from '../../functions/config.js';
import { ensureTable } from '../../functions/store/table.js';
import { applyTenant, type ApplyReport } from '../../functions/store/tenant-admin.js';
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
import { startDynamoDbLocal, type DynamoDbLocalHandle } from './dynamodb-local.js';
import { startKmsEndpoint } from './kms/server.js';
import { startApiGateway } from './api-gateway.js';
import { startFacebookEmulator, type FacebookEmulatorHandle, type FacebookEmulatorOptions } from './emulators/facebook.js';
import { startGoogleEmulator, type GoogleEmulatorHandle } from './emulators/google.js';
import { startTwitterEmulator, type TwitterEmulatorHandle } from './emulators/twitter.js';
import { startWeiboEmulator, type WeiboEmulatorHandle } from './emulators/weibo.js';
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
  /**
   * 'lambda': serve through the real `functions/<name>/handler.ts` modules, configured by
   * process.env exactly as on AWS (one stack per process: npm start).
   * 'inline' (default): build this stack's own runtime, so tests can run several stacks.
   */
  entryPoints?: 'lambda' | 'inline';
}

/** The collaborators of the functions, as built for an inline stack. */
export interface Runtime {
  exchange: ExchangeDependencies;
  /** POST /oauth/token. */
  oauthToken: TokenEndpointDependencies;
  /** POST /oauth/revoke. */
  revoke: RevokeDependencies;
  userinfo: UserinfoDependencies;
  discovery: DiscoveryDependencies;
}

export interface LocalStack {
  url: string;
  issuer: string;
  tableName: string;
  signingKeyId: string;
  signingAlg: SigningAlg;
  dynamoEndpoint: string;
  kmsEndpoint: string;
  kms: Awaited<ReturnType<typeof startKmsEndpoint>> | undefined;
  dynamo: DynamoDbLocalHandle | undefined;
  emulators: {
    facebook: FacebookEmulatorHandle;
    google: GoogleEmulatorHandle;
    twitter: TwitterEmulatorHandle;
    weibo: WeiboEmulatorHandle;
  };
  tenantReport: ApplyReport;
  /** The environment the Lambda functions get (what `sam local`'s env-vars file would set). */
  environment: Record<string, string>;
  runtime: Runtime | undefined;
  routes: string[];
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
] as const;

/** Dummy credentials: the local services accept any; the SDK insists on having some. */
export const useLocalCredentials = (): void => {
  process.env.AWS_REGION ??= LOCAL_REGION;
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
};

export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  useLocalCredentials();
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    const ports = options.emulatorPorts === 'free' ? undefined : (options.emulatorPorts ?? DEFAULT_EMULATOR_PORTS);
    const [dynamo, kms, facebook, google, twitter, weibo] = await Promise.all([
      options.dynamoEndpoint
        ? undefined
        : startDynamoDbLocal({
            ...(options.dynamoPort ? { port: options.dynamoPort } : {}),
            ...(options.persistDir ? { persistDir: `${options.persistDir}/dynamodb` } : {}),
          }),
      options.kmsEndpoint
        ? undefined
        : startKmsEndpoint({
            ...(options.kmsPort ? { port: options.kmsPort } : {}),
            ...(options.persistDir ? { stateFile: `${options.persistDir}/kms-keys.json` } : {}),
          }),
      startFacebookEmulator({
        ...(ports ? { port: ports.facebook } : {}),
        ...(options.facebookTokens ? { tokens: options.facebookTokens } : {}),
      }),
      startGoogleEmulator(ports ? { port: ports.google } : {}),
      startTwitterEmulator(ports ? { port: ports.twitter } : {}),
      startWeiboEmulator(ports ? { port: ports.weibo } : {}),
    ]);
    for (const service of [dynamo, kms, facebook, google, twitter, weibo]) {
      if (service) stoppers.push(() => ('stop' in service ? service.stop() : service.close()));
    }
    const dynamoEndpoint = options.dynamoEndpoint ?? dynamo!.endpoint;
    const kmsEndpoint = options.kmsEndpoint ?? kms!.url;
    const tableName = options.tableName ?? 'social-token-exchange';
    const signingAlg = options.signingAlg ?? 'RS256';

    const ddb = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION });
    await ensureTable(ddb, tableName);
    const signingKeyId = options.signingKeyId ?? (await ensureSigningKey(kmsEndpoint, signingAlg, !options.kmsEndpoint));
    const endpoints = { facebook: facebook.endpoints, google: google.endpoints, twitter: twitter.endpoints, weibo: weibo.endpoints };
    const tenant =
      typeof options.tenant === 'function' ? options.tenant(endpoints) : (options.tenant ?? buildLocalTenant(endpoints));
    const tenantReport = await applyTenant({ client: DynamoDBDocumentClient.from(ddb), tableName, tenant });

    const environment: Record<string, string> = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_ENDPOINT_URL_KMS: kmsEndpoint,
      TABLE_NAME: tableName,
      SIGNING_KEY_ID: signingKeyId,
      SIGNING_ALG: signingAlg,
      RETIRED_KEY_IDS: (options.retiredKeyIds ?? []).join(','),
      PROVIDER_TIMEOUT_MS: String(options.providerTimeoutMs ?? 5000),
      CONFIG_CACHE_TTL_SECONDS: String(options.configCacheTtlSeconds ?? 30),
      DYNAMODB_TIMEOUT_MS: String(options.dynamoTimeoutMs ?? 5000),
    };

    const port = options.port ?? 3000;
    const payloadVersion = options.payloadVersion ?? '2.0';
    let runtime: Runtime | undefined;
    let issuer = '';
    let api;
    if (options.entryPoints === 'lambda') {
      const [token, oauthToken, userinfo, discovery, revoke] = await Promise.all([
        import('../../functions/token/handler.js'),
        import('../../functions/oauth-token/handler.js'),
        import('../../functions/userinfo/handler.js'),
        import('../../functions/discovery/handler.js'),
        import('../../functions/oauth-revoke/handler.js'),
      ]);
      api = await startApiGateway({
        port,
        payloadVersion,
        routes: [
          { method: 'POST', path: '/oauth/access_token', handler: token.handler },
          { method: 'POST', path: '/oauth/token', handler: oauthToken.handler },
          { method: 'POST', path: '/oauth/revoke', handler: revoke.handler },
          { method: 'GET', path: '/.well-known/openid-configuration', handler: discovery.handler },
          { method: 'GET', path: '/.well-known/jwks.json', handler: discovery.handler },
          { method: 'GET', path: '/userinfo', handler: userinfo.handler },
          { method: 'POST', path: '/userinfo', handler: userinfo.handler },
        ],
      });
      issuer = `${api.url}/`;
      // Exactly what a Lambda function would see; the handlers build their runtime from it.
      Object.assign(process.env, environment, { ISSUER: issuer });
    } else {
      // Requests cannot arrive before this function returns, by which time `runtime` is set.
      const current = () => runtime!;
      api = await startApiGateway({
        port,
        payloadVersion,
        routes: [
          {
            method: 'POST',
            path: '/oauth/access_token',
            handler: (event: ApiGatewayEvent) => handleTokenEvent(event, { exchange: current().exchange, issuer }),
          },
          {
            method: 'POST',
            path: '/oauth/token',
            handler: (event: ApiGatewayEvent) => handleOAuthTokenEvent(event, { endpoint: current().oauthToken, issuer }),
          },
          {
            method: 'POST',
            path: '/oauth/revoke',
            handler: (event: ApiGatewayEvent) => handleRevokeEvent(event, { revoke: current().revoke }),
          },
          ...['/.well-known/openid-configuration', '/.well-known/jwks.json'].map((path) => ({
            method: 'GET',
            path,
            handler: (event: ApiGatewayEvent) => handleDiscoveryEvent(event, current().discovery),
          })),
          ...['GET', 'POST'].map((method) => ({
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
      exchange.prefetchSigningKey();
      const oauthToken = createOAuthTokenDependencies(config, endpoints);
      oauthToken.prefetchSigningKey();
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
        dynamoEndpoint,
        kmsEndpoint,
        kms,
        dynamo,
        emulators: { facebook, google, twitter, weibo },
        tenantReport,
        environment,
        runtime,
        routes: [...ROUTES],
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
