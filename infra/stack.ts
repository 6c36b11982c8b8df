import { App, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  DomainName,
  HttpApi,
  HttpMethod,
  LogGroupLogDestination,
  SecurityPolicy,
  type DomainMappingOptions,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { AttributeType, BillingMode, CfnTable, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnKey, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { HANDLER_ENTRIES } from './bundling.js';
import { BY_USER_INDEX } from '../functions/store/keys.js';
import { readStackConfig, type StackConfig } from './config.js';
import { createApiFunction } from './constructs/api-function.js';
import { ServiceAlarms } from './constructs/alarms.js';

/** Logical ids that `infra/sam-env.json` and operators rely on; never let them be hashed. */
export const LOGICAL_IDS = {
  table: 'Table',
  signingKey: 'SigningKey',
  token: 'TokenFunction',
  userinfo: 'UserinfoFunction',
  discovery: 'DiscoveryFunction',
  oauthToken: 'OAuthTokenFunction',
  oauthRevoke: 'OAuthRevokeFunction',
} as const;

const TABLE_ACTIONS = {
  token: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  userinfo: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
  /**
   * Config and user reads, login writes, access-token and single-use records (conditional puts);
   * the refresh's rotation is a TransactWriteItems of a put, an update and two condition checks.
   */
  oauthToken: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
  /** Client config, the refresh token, and the family's revocation (one conditional update). */
  oauthRevoke: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
} as const;

/** Two provider timeouts (a call and its retry) plus 5 s for DynamoDB and KMS, under API Gateway's 30 s. */
const tokenTimeoutSeconds = (providerTimeoutMs: number): number =>
  Math.min(29, Math.max(15, Math.ceil((2 * providerTimeoutMs) / 1000) + 5));

export interface TokenExchangeStackProps extends StackProps {
  config: StackConfig;
}

export class TokenExchangeStack extends Stack {
  readonly api: HttpApi;
  readonly table: Table;
  readonly signingKey: Key;

  constructor(scope: Construct, id: string, props: TokenExchangeStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expires_at',
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      // Users, identities and tenant secrets outlive any one deployment of the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.table.node.defaultChild as CfnTable).overrideLogicalId(LOGICAL_IDS.table);
    // A user's items by user id (functions/store/keys.ts): `users delete` Queries it instead of
    // scanning the table. Keys only, so it costs little; no function has access to it.
    this.table.addGlobalSecondaryIndex({
      indexName: BY_USER_INDEX.name,
      partitionKey: { name: BY_USER_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: BY_USER_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    this.signingKey = new Key(this, 'SigningKey', {
      description: `Signs the id_tokens issued by ${this.stackName}`,
      keySpec: config.signingKeySpec === 'ECC_NIST_P256' ? KeySpec.ECC_NIST_P256 : KeySpec.RSA_2048,
      keyUsage: KeyUsage.SIGN_VERIFY,
      alias: `alias/${this.stackName}/id-token-signing`,
      // A deleted key can never verify the tokens it signed, and KMS deletion is irreversible.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.signingKey.node.defaultChild as CfnKey).overrideLogicalId(LOGICAL_IDS.signingKey);

    const activeKeyArn = config.activeKeyId === undefined ? this.signingKey.keyArn : this.kmsKeyArn(config.activeKeyId);
    const retiredKeyArns = config.retiredKeyIds.map((keyId) => this.kmsKeyArn(keyId));

    this.api = new HttpApi(this, 'HttpApi', {
      apiName: this.stackName,
      description: 'Social access-token exchange (POST /oauth/access_token), OIDC discovery and userinfo',
      createDefaultStage: false,
    });

    const domain =
      config.customDomain === undefined
        ? undefined
        : new DomainName(this, 'CustomDomain', {
            domainName: config.customDomain.domainName,
            certificate: Certificate.fromCertificateArn(this, 'Certificate', config.customDomain.certificateArn),
            securityPolicy: SecurityPolicy.TLS_1_2,
          });
    const domainMapping: DomainMappingOptions | undefined = domain === undefined ? undefined : { domainName: domain };

    this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
      ...(domainMapping === undefined ? {} : { domainMapping }),
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
        ),
        // Route and status only: paths and headers could carry tokens, so they stay out.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTimeEpoch',
            route: '$context.routeKey',
            status: '$context.status',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    const apiUrl = `${this.api.apiEndpoint}/`;
    const issuer = config.customDomain === undefined ? apiUrl : `https://${config.customDomain.domainName}/`;

    const environment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      ISSUER: issuer,
      SIGNING_KEY_ID: activeKeyArn,
      SIGNING_ALG: config.signingAlg,
      RETIRED_KEY_IDS: retiredKeyArns.join(','),
      CONFIG_CACHE_TTL_SECONDS: String(config.configCacheTtlSeconds),
      PROVIDER_TIMEOUT_MS: String(config.providerTimeoutMs),
      ACCESS_TOKEN_TTL_SECONDS: String(config.accessTokenTtlSeconds),
      NODE_OPTIONS: '--enable-source-maps',
      // sam local only sets variables the template declares; empty values are ignored by the SDK.
      ...(config.samLocal ? { AWS_ENDPOINT_URL_DYNAMODB: '', AWS_ENDPOINT_URL_KMS: '' } : {}),
    };

    const token = createApiFunction(this, {
      logicalId: LOGICAL_IDS.token,
      entry: HANDLER_ENTRIES.token,
      description: 'POST /oauth/access_token: verify a social access token, issue our tokens',
      // Lambda allots CPU in proportion to memory; cold starts and TLS handshakes are CPU-bound.
      memorySize: 1024,
      timeout: Duration.seconds(tokenTimeoutSeconds(config.providerTimeoutMs)),
      environment,
    });
    token.addToRolePolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.token], resources: [this.table.tableArn] }));
    token.addToRolePolicy(new PolicyStatement({ actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [activeKeyArn] }));

    const oauthToken = createApiFunction(this, {
      logicalId: LOGICAL_IDS.oauthToken,
      entry: HANDLER_ENTRIES.oauthToken,
      description: 'POST /oauth/token: RFC 8693 token exchange (native ID tokens, Apple codes, provider access tokens)',
      memorySize: 1024,
      timeout: Duration.seconds(tokenTimeoutSeconds(config.providerTimeoutMs)),
      environment,
    });
    oauthToken.addToRolePolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.oauthToken], resources: [this.table.tableArn] }));
    oauthToken.addToRolePolicy(new PolicyStatement({ actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [activeKeyArn] }));

    const oauthRevoke = createApiFunction(this, {
      logicalId: LOGICAL_IDS.oauthRevoke,
      entry: HANDLER_ENTRIES.oauthRevoke,
      description: 'POST /oauth/revoke: RFC 7009 revocation of a refresh token and its family',
      memorySize: 512,
      timeout: Duration.seconds(15),
      environment,
    });
    oauthRevoke.addToRolePolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.oauthRevoke], resources: [this.table.tableArn] }));

    const userinfo = createApiFunction(this, {
      logicalId: LOGICAL_IDS.userinfo,
      entry: HANDLER_ENTRIES.userinfo,
      description: 'GET|POST /userinfo: claims of the user behind an access token',
      memorySize: 512,
      timeout: Duration.seconds(10),
      environment,
    });
    userinfo.addToRolePolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.userinfo], resources: [this.table.tableArn] }));

    const discovery = createApiFunction(this, {
      logicalId: LOGICAL_IDS.discovery,
      entry: HANDLER_ENTRIES.discovery,
      description: 'OIDC discovery document and JWKS',
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment,
    });
    discovery.addToRolePolicy(new PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [activeKeyArn, ...retiredKeyArns] }));

    const tokenIntegration = new HttpLambdaIntegration('TokenIntegration', token);
    const oauthTokenIntegration = new HttpLambdaIntegration('OAuthTokenIntegration', oauthToken);
    const oauthRevokeIntegration = new HttpLambdaIntegration('OAuthRevokeIntegration', oauthRevoke);
    const userinfoIntegration = new HttpLambdaIntegration('UserinfoIntegration', userinfo);
    const discoveryIntegration = new HttpLambdaIntegration('DiscoveryIntegration', discovery);
    this.api.addRoutes({ path: '/oauth/access_token', methods: [HttpMethod.POST], integration: tokenIntegration });
    this.api.addRoutes({ path: '/oauth/token', methods: [HttpMethod.POST], integration: oauthTokenIntegration });
    this.api.addRoutes({ path: '/oauth/revoke', methods: [HttpMethod.POST], integration: oauthRevokeIntegration });
    this.api.addRoutes({ path: '/userinfo', methods: [HttpMethod.GET, HttpMethod.POST], integration: userinfoIntegration });
    this.api.addRoutes({ path: '/.well-known/openid-configuration', methods: [HttpMethod.GET], integration: discoveryIntegration });
    this.api.addRoutes({ path: '/.well-known/jwks.json', methods: [HttpMethod.GET], integration: discoveryIntegration });

    new ServiceAlarms(this, 'Alarms', { api: this.api, functions: { Token: token, OAuthToken: oauthToken, OAuthRevoke: oauthRevoke, Userinfo: userinfo, Discovery: discovery } });

    new CfnOutput(this, 'ApiUrl', { value: apiUrl, description: 'Default endpoint of the HTTP API' });
    new CfnOutput(this, 'Issuer', { value: issuer, description: 'iss of the id_tokens (trailing slash included)' });
    new CfnOutput(this, 'JwksUrl', { value: `${issuer}.well-known/jwks.json` });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'For npm run tenant -- apply FILE --table NAME' });
    new CfnOutput(this, 'SigningKeyId', { value: activeKeyArn, description: 'ARN of the KMS key signing new id_tokens' });
    new CfnOutput(this, 'StackSigningKeyId', { value: this.signingKey.keyArn, description: 'ARN of the key this stack created' });
    if (domain !== undefined) {
      new CfnOutput(this, 'CustomDomainTarget', { value: domain.regionalDomainName, description: 'CNAME/alias target for the custom domain' });
      new CfnOutput(this, 'CustomDomainHostedZoneId', { value: domain.regionalHostedZoneId });
    }
  }

  /** IAM needs key ARNs; a bare key id is taken to live in this stack's account and region. */
  private kmsKeyArn(keyIdOrArn: string): string {
    return keyIdOrArn.startsWith('arn:') ? keyIdOrArn : this.formatArn({ service: 'kms', resource: 'key', resourceName: keyIdOrArn });
  }
}

/** Reads the context of `app` and adds the stack it describes: what `infra/app.ts` runs. */
export const addTokenExchangeStack = (app: App): TokenExchangeStack => {
  const config = readStackConfig(app.node);
  return new TokenExchangeStack(app, config.stackName, {
    config,
    description: 'Social access-token exchange: HTTP API, Lambda, DynamoDB, KMS signing key',
  });
};
