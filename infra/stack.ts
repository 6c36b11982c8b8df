import { App, ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
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
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnKey, type Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { stackMetricsNamespace } from '../functions/core/metrics.js';
import { HANDLER_ENTRIES } from './bundling.js';
import { BY_USER_INDEX } from '../functions/store/keys.js';
import { readStackConfig, type StackConfig } from './config.js';
import { createApiFunction } from './constructs/api-function.js';
import { ServiceAlarms } from './constructs/alarms.js';
import { ServiceDashboard } from './constructs/dashboard.js';
import { StackKeys } from './constructs/keys.js';
import { ApiDistribution } from './constructs/api-distribution.js';
import { EdgeWebAcl } from './constructs/edge-waf.js';

/** Logical ids that `infra/sam-env.json` and operators rely on; never let them be hashed. */
export const LOGICAL_IDS = {
  table: 'Table',
  signingKey: 'SigningKey',
  secretsKey: 'SecretsKey',
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

/** The `service` tag on every resource, and the `service` field of every log line. */
export const SERVICE_NAME = 'social-token-exchange';

/** Two provider timeouts (a call and its retry) plus 5 s for DynamoDB and KMS, under API Gateway's 30 s. */
const tokenTimeoutSeconds = (providerTimeoutMs: number): number =>
  Math.min(29, Math.max(15, Math.ceil((2 * providerTimeoutMs) / 1000) + 5));

export interface TokenExchangeStackProps extends StackProps {
  config: StackConfig;
  /** `edge=waf` outside us-east-1: the WebACL of the us-east-1 edge stack. */
  webAclArn?: string;
}

export class TokenExchangeStack extends Stack {
  readonly api: HttpApi;
  readonly table: Table;
  readonly signingKey: Key;
  readonly secretsKey: Key;
  readonly alarmTopic: ITopic;

  constructor(scope: Construct, id: string, props: TokenExchangeStackProps) {
    super(scope, id, props);
    const { config } = props;
    Tags.of(this).add('service', SERVICE_NAME);
    Tags.of(this).add('stage', config.stage);

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

    const keys = new StackKeys(this, 'Keys', {
      stackName: this.stackName,
      signingKeySpec: config.signingKeySpec,
      ...(config.adminRoleArn === undefined ? {} : { adminRoleArn: config.adminRoleArn }),
    });
    this.signingKey = keys.signingKey;
    this.secretsKey = keys.secretsKey;
    (this.signingKey.node.defaultChild as CfnKey).overrideLogicalId(LOGICAL_IDS.signingKey);
    (this.secretsKey.node.defaultChild as CfnKey).overrideLogicalId(LOGICAL_IDS.secretsKey);

    const activeKeyArn = config.activeKeyId === undefined ? this.signingKey.keyArn : this.kmsKeyArn(config.activeKeyId);
    const retiredKeyArns = config.retiredKeyIds.map((keyId) => this.kmsKeyArn(keyId));

    this.api = new HttpApi(this, 'HttpApi', {
      apiName: this.stackName,
      description: 'Social access-token exchange (POST /oauth/access_token), OIDC discovery and userinfo',
      createDefaultStage: false,
      // With a custom domain the issuer is that domain; a second, unlisted URL would only
      // be a way around whatever fronts the domain.
      disableExecuteApiEndpoint: config.customDomain !== undefined && config.edge === undefined,
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Public OAuth/OIDC endpoints: clients authenticate in the body (client_id + provider token) or with a Bearer token the function checks; discovery and JWKS are public by specification',
    });

    // Behind CloudFront (edge=waf) the distribution serves the custom domain instead.
    const domain =
      config.customDomain === undefined || config.edge !== undefined
        ? undefined
        : new DomainName(this, 'CustomDomain', {
            domainName: config.customDomain.domainName,
            certificate: Certificate.fromCertificateArn(this, 'Certificate', config.customDomain.certificateArn),
            securityPolicy: SecurityPolicy.TLS_1_2,
          });
    const domainMapping: DomainMappingOptions | undefined = domain === undefined ? undefined : { domainName: domain };

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
      ...(domainMapping === undefined ? {} : { domainMapping }),
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
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

    // With a custom domain (and no CloudFront in front) the execute-api URL is switched off:
    // the domain is the only URL. Behind CloudFront the execute-api endpoint is the origin.
    const apiUrl = config.customDomain === undefined || config.edge !== undefined ? `${this.api.apiEndpoint}/` : `https://${config.customDomain.domainName}/`;
    const edge = config.edge === undefined ? undefined : this.addEdge(config, props.webAclArn);
    const issuer = edge?.url ?? apiUrl;

    const environment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      ISSUER: issuer,
      SIGNING_KEY_ID: activeKeyArn,
      SIGNING_ALG: config.signingAlg,
      RETIRED_KEY_IDS: retiredKeyArns.join(','),
      CONFIG_CACHE_TTL_SECONDS: String(config.configCacheTtlSeconds),
      PROVIDER_TIMEOUT_MS: String(config.providerTimeoutMs),
      ACCESS_TOKEN_TTL_SECONDS: String(config.accessTokenTtlSeconds),
      SECRETS_KEY_ID: this.secretsKey.keyArn,
      METRICS_NAMESPACE: stackMetricsNamespace(this.stackName),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      NODE_OPTIONS: '--enable-source-maps',
      ...(edge ? { ORIGIN_VERIFY_SECRET: edge.originVerifySecret } : {}),
      // sam local only sets variables the template declares; empty values are ignored by the SDK.
      // Without a key id the token function still decrypts (a ciphertext names its key), so
      // sam local works against the local KMS endpoint without one more env-file entry.
      ...(config.samLocal ? { AWS_ENDPOINT_URL_DYNAMODB: '', AWS_ENDPOINT_URL_KMS: '', SECRETS_KEY_ID: '' } : {}),
    };

    const token = createApiFunction(this, {
      logicalId: LOGICAL_IDS.token,
      entry: HANDLER_ENTRIES.token,
      description: 'POST /oauth/access_token: verify a social access token, issue our tokens',
      // Lambda allots CPU in proportion to memory; cold starts and TLS handshakes are CPU-bound.
      memorySize: 1024,
      timeout: Duration.seconds(tokenTimeoutSeconds(config.providerTimeoutMs)),
      environment,
      // Its log holds the audit event of every exchange.
      auditLogRetentionDays: config.auditLogRetentionDays,
      ...(config.tokenReservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: config.tokenReservedConcurrency }),
    });
    token.addToRolePolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.token], resources: [this.table.tableArn] }));
    token.addToRolePolicy(new PolicyStatement({ actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [activeKeyArn] }));
    if (config.activeKeyId === undefined) keys.allowSigning(token);
    else keys.allowPublicKey(token);
    keys.allowSecretsDecrypt(token);

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
    if (config.activeKeyId === undefined) keys.allowSigning(oauthToken);
    else keys.allowPublicKey(oauthToken);
    // Apple's private_key and the providers' client secrets: the code exchange signs with them.
    keys.allowSecretsDecrypt(oauthToken);

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
    keys.allowPublicKey(discovery);

    const tokenIntegration = new HttpLambdaIntegration('TokenIntegration', token);
    const oauthTokenIntegration = new HttpLambdaIntegration('OAuthTokenIntegration', oauthToken);
    const oauthRevokeIntegration = new HttpLambdaIntegration('OAuthRevokeIntegration', oauthRevoke);
    const userinfoIntegration = new HttpLambdaIntegration('UserinfoIntegration', userinfo);
    const discoveryIntegration = new HttpLambdaIntegration('DiscoveryIntegration', discovery);
    // OPTIONS (CORS preflights, DESIGN section 12) goes to the route's own function, which knows
    // the clients' allowed origins; a CorsConfiguration on the API would answer them instead.
    this.api.addRoutes({ path: '/oauth/access_token', methods: [HttpMethod.POST, HttpMethod.OPTIONS], integration: tokenIntegration });
    this.api.addRoutes({ path: '/oauth/token', methods: [HttpMethod.POST, HttpMethod.OPTIONS], integration: oauthTokenIntegration });
    this.api.addRoutes({ path: '/oauth/revoke', methods: [HttpMethod.POST, HttpMethod.OPTIONS], integration: oauthRevokeIntegration });
    this.api.addRoutes({ path: '/userinfo', methods: [HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS], integration: userinfoIntegration });
    this.api.addRoutes({ path: '/.well-known/openid-configuration', methods: [HttpMethod.GET], integration: discoveryIntegration });
    this.api.addRoutes({ path: '/.well-known/jwks.json', methods: [HttpMethod.GET], integration: discoveryIntegration });

    this.alarmTopic = this.createAlarmTopic(config);
    // Last, after every function: alarms and dashboard cover each function createApiFunction made.
    const namespace = stackMetricsNamespace(this.stackName);
    new ServiceAlarms(this, 'Alarms', {
      api: this.api,
      accessLogs,
      table: this.table,
      namespace,
      actions: [new SnsAction(this.alarmTopic)],
    });
    const { dashboard } = new ServiceDashboard(this, 'Operations', { dashboardName: this.stackName, api: this.api, table: this.table, namespace });

    new CfnOutput(this, 'ApiUrl', { value: apiUrl, description: 'Default endpoint of the HTTP API' });
    new CfnOutput(this, 'Issuer', { value: issuer, description: 'iss of the id_tokens (trailing slash included)' });
    new CfnOutput(this, 'JwksUrl', { value: `${issuer}.well-known/jwks.json` });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'For npm run tenant -- apply FILE --table NAME' });
    new CfnOutput(this, 'SigningKeyId', { value: activeKeyArn, description: 'ARN of the KMS key signing new id_tokens' });
    new CfnOutput(this, 'StackSigningKeyId', { value: this.signingKey.keyArn, description: 'ARN of the key this stack created' });
    new CfnOutput(this, 'SecretsKeyId', {
      value: this.secretsKey.keyArn,
      description: 'For npm run tenant -- apply FILE --table NAME --secrets-key ARN (connection secrets are encrypted under it)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Alarm and OK notifications: subscribe on-call here' });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboardName });
    if (domain !== undefined) {
      new CfnOutput(this, 'CustomDomainTarget', { value: domain.regionalDomainName, description: 'CNAME/alias target for the custom domain' });
      new CfnOutput(this, 'CustomDomainHostedZoneId', { value: domain.regionalHostedZoneId });
    }
  }

  /** The operator's topic when named (`-c alarmTopicArn=`), else one of the stack's own. */
  private createAlarmTopic(config: StackConfig): ITopic {
    let topic: ITopic;
    if (config.alarmTopicArn !== undefined) {
      topic = Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn);
    } else {
      // Unencrypted on purpose: CloudWatch cannot publish to a topic under the AWS managed SNS
      // key, and alarm notifications carry no secret or personal data.
      const own = new Topic(this, 'AlarmTopic', { displayName: `${this.stackName} alarms`, enforceSSL: true });
      // A topic policy replaces SNS's default one: say explicitly that this account's alarms may publish.
      own.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AlarmsOfThisAccount',
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [own.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': this.account },
            ArnLike: { 'aws:SourceArn': this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
          },
        }),
      );
      topic = own;
    }
    if (config.alarmEmail !== undefined) topic.addSubscription(new EmailSubscription(config.alarmEmail));
    return topic;
  }

  /** DESIGN section 12 `edge=waf`: CloudFront with the WebACL, in front of the API. */
  private addEdge(config: StackConfig, webAclArn: string | undefined): ApiDistribution {
    const aclArn = webAclArn ?? new EdgeWebAcl(this, 'EdgeWebAcl', { rateLimit: config.edge!.wafRateLimit }).webAcl.attrArn;
    const edge = new ApiDistribution(this, 'Edge', {
      api: this.api,
      webAclArn: aclArn,
      ...(config.customDomain ? { customDomain: config.customDomain } : {}),
    });
    new CfnOutput(this, 'DistributionDomainName', {
      value: edge.distribution.distributionDomainName,
      description: 'CloudFront domain (the CNAME/alias target of a custom domain)',
    });
    return edge;
  }

  /** IAM needs key ARNs; a bare key id is taken to live in this stack's account and region. */
  private kmsKeyArn(keyIdOrArn: string): string {
    return keyIdOrArn.startsWith('arn:') ? keyIdOrArn : this.formatArn({ service: 'kms', resource: 'key', resourceName: keyIdOrArn });
  }
}

/** Reads the context of `app` and adds the stack it describes: what `infra/app.ts` runs. */
export const addTokenExchangeStack = (app: App): TokenExchangeStack => {
  const config = readStackConfig(app.node);
  const description = 'Social access-token exchange: HTTP API, Lambda, DynamoDB, KMS signing key';
  if (config.edge === undefined) return new TokenExchangeStack(app, config.stackName, { config, description });
  const env = { region: config.edge.region, ...(process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT } : {}) };
  if (config.edge.region === WEB_ACL_REGION) return new TokenExchangeStack(app, config.stackName, { config, description, env });
  // A CLOUDFRONT-scope WebACL can only be created in us-east-1: a small stack there holds it.
  const waf = new EdgeWafStack(app, `${config.stackName}-EdgeWaf`, {
    env: { ...env, region: WEB_ACL_REGION },
    crossRegionReferences: true,
    description: `WebACL (CLOUDFRONT scope) in front of ${config.stackName}`,
    rateLimit: config.edge.wafRateLimit,
  });
  // The cross-region reference also orders the deployments: the WebACL first.
  return new TokenExchangeStack(app, config.stackName, { config, description, env, crossRegionReferences: true, webAclArn: waf.webAclArn });
};

export const WEB_ACL_REGION = 'us-east-1';

/** The us-east-1 companion stack of `edge=waf`: only the WebACL. */
export class EdgeWafStack extends Stack {
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: StackProps & { rateLimit: number }) {
    super(scope, id, props);
    this.webAclArn = new EdgeWebAcl(this, 'EdgeWebAcl', { rateLimit: props.rateLimit }).webAcl.attrArn;
  }
}
