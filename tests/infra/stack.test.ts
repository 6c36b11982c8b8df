import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESM_OUTFILE, ESM_REQUIRE_BANNER, HANDLER_ENTRIES, PROJECT_ROOT, esbuildOptions, type HandlerName } from '../../infra/bundling.js';
import { addTokenExchangeStack, LOGICAL_IDS } from '../../infra/stack.js';

/**
 * Synthesis is the only proof available here (no AWS account, no Docker): each variant is
 * synthesized once. Only the default variant runs esbuild; the others skip bundling.
 */

type Json = Record<string, any>;

const outdirs: string[] = [];

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const synth = (context: Record<string, unknown>, options: { bundle?: boolean } = {}) => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'infra-test-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: {
      ...(options.bundle ? { 'aws:cdk:enable-asset-metadata': true } : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const stack = addTokenExchangeStack(app);
  const template = Template.fromStack(stack);
  return { template, json: template.toJSON() as Json, outdir, stackName: stack.stackName };
};

const FUNCTIONS: Record<HandlerName, string> = {
  token: LOGICAL_IDS.token,
  userinfo: LOGICAL_IDS.userinfo,
  discovery: LOGICAL_IDS.discovery,
  oauthToken: LOGICAL_IDS.oauthToken,
  oauthRevoke: LOGICAL_IDS.oauthRevoke,
};
const FUNCTION_IDS = Object.values(FUNCTIONS);

const TABLE_ARN = { 'Fn::GetAtt': ['Table', 'Arn'] };
const STACK_KEY_ARN = { 'Fn::GetAtt': ['SigningKey', 'Arn'] };
const SECRETS_KEY_ARN = { 'Fn::GetAtt': ['SecretsKey', 'Arn'] };
const TAGS = [
  { Key: 'service', Value: 'social-token-exchange' },
  { Key: 'stage', Value: 'prod' },
];
/** What every function's role gets from createApiFunction: its own log group, and X-Ray. */
const baseGrants = (json: Json, functionId: string) => [
  { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [{ 'Fn::GetAtt': [fnProps(json, functionId).LoggingConfig.LogGroup.Ref, 'Arn'] }] },
  { actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] },
];
const API_ENDPOINT_SLASH = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^HttpApi/), 'ApiEndpoint'] }, '/']] };

/** What `formatArn` makes of a bare key id in an environment-agnostic stack. */
const keyArnInThisAccount = (keyId: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:key/${keyId}`]],
});

const resourcesOfType = (json: Json, type: string): Array<[string, Json]> =>
  Object.entries<Json>(json.Resources).filter(([, resource]) => resource.Type === type);

const fnProps = (json: Json, logicalId: string): Json => {
  const resource = json.Resources[logicalId];
  expect(resource?.Type).toBe('AWS::Lambda::Function');
  return resource.Properties;
};

const roleIdOf = (json: Json, functionId: string): string => {
  const role = fnProps(json, functionId).Role;
  expect(role['Fn::GetAtt'][1]).toBe('Arn');
  return role['Fn::GetAtt'][0];
};

/** Every statement any IAM policy grants the function's role, as [actions, resources] pairs. */
const grantsOf = (json: Json, functionId: string) => {
  const roleId = roleIdOf(json, functionId);
  expect(json.Resources[roleId].Properties.Policies).toBeUndefined();
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: Json) => role.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[])
    .map((statement) => {
      expect(statement.Effect).toBe('Allow');
      expect(Object.keys(statement).sort()).toEqual(['Action', 'Effect', 'Resource']);
      return { actions: [statement.Action].flat(), resources: [statement.Resource].flat() };
    });
};

/** Ref/GetAtt/DependsOn edges between resources: CloudFormation refuses a template with a cycle. */
const findDependencyCycle = (json: Json): string[] | undefined => {
  const resources: Record<string, Json> = json.Resources;
  const edges = new Map<string, Set<string>>();
  const collect = (value: unknown, into: Set<string>): void => {
    if (Array.isArray(value)) return value.forEach((item) => collect(item, into));
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string' && inner in resources) into.add(inner);
      else if (key === 'Fn::GetAtt' && Array.isArray(inner) && inner[0] in resources) into.add(inner[0]);
      else if (key === 'Fn::Sub' && typeof inner === 'string') {
        for (const [, name] of inner.matchAll(/\$\{([^.}]+)/g)) if (name! in resources) into.add(name!);
      } else collect(inner, into);
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    const into = new Set<string>([resource.DependsOn ?? []].flat());
    collect(resource.Properties, into);
    edges.set(id, into);
  }
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string, trail: string[]): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...trail, id];
    state.set(id, 'open');
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next, [...trail, id]);
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
};

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe('default deployment', () => {
  let json: Json;
  let template: Template;
  let outdir: string;

  // Bundling five functions with esbuild: slow on a busy machine.
  beforeAll(() => {
    ({ json, template, outdir } = synth({}, { bundle: true }));
  }, 240_000);

  it('routes the public routes and their preflights to their functions through Lambda proxy integrations (payload 2.0)', () => {
    const routes = resourcesOfType(json, 'AWS::ApiGatewayV2::Route').map(([, route]) => {
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
      const integration = json.Resources[integrationId].Properties;
      expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      expect(route.Properties.AuthorizationType).toBe('NONE');
      return [route.Properties.RouteKey, integration.IntegrationUri['Fn::GetAtt'][0]];
    });
    expect(Object.fromEntries(routes)).toEqual({
      'POST /oauth/access_token': 'TokenFunction',
      'POST /oauth/token': 'OAuthTokenFunction',
      'OPTIONS /oauth/token': 'OAuthTokenFunction',
      'OPTIONS /oauth/access_token': 'TokenFunction',
      'POST /oauth/revoke': 'OAuthRevokeFunction',
      'OPTIONS /oauth/revoke': 'OAuthRevokeFunction',
      'GET /userinfo': 'UserinfoFunction',
      'POST /userinfo': 'UserinfoFunction',
      'OPTIONS /userinfo': 'UserinfoFunction',
      'GET /.well-known/openid-configuration': 'DiscoveryFunction',
      'GET /.well-known/jwks.json': 'DiscoveryFunction',
    });
    expect(routes).toHaveLength(11);
  });

  it('serves one auto-deployed $default stage, throttled, with access logs that carry no paths or headers', () => {
    const stages = resourcesOfType(json, 'AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const stage = stages[0]![1].Properties;
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    const format = JSON.parse(stage.AccessLogSettings.Format);
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/path|header|querystring|authorizer/i);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    // No custom domain: the execute-api URL is the issuer and must stay on.
    expect(resourcesOfType(json, 'AWS::ApiGatewayV2::Api')[0]![1].Properties.DisableExecuteApiEndpoint).toBeFalsy();
  });

  it.each([
    ['TokenFunction', 1024, 15, 365, 'Retain'],
    ['OAuthTokenFunction', 1024, 15, 30, 'Delete'],
    ['OAuthRevokeFunction', 512, 15, 30, 'Delete'],
    ['UserinfoFunction', 512, 10, 30, 'Delete'],
    ['DiscoveryFunction', 256, 10, 30, 'Delete'],
  ])('%s runs Node.js on arm64 with %i MB and a %i s timeout, traced, logging to its own group (%i days, %s on delete)', (id, memory, timeout, days, deletion) => {
    const props = fnProps(json, id);
    expect(props).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: memory,
      Timeout: timeout,
      TracingConfig: { Mode: 'Active' },
    });
    expect(props.ReservedConcurrentExecutions).toBeUndefined();
    const logGroupId = props.LoggingConfig.LogGroup.Ref;
    expect(json.Resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: days },
      DeletionPolicy: deletion,
    });
  });

  it('gives every function the environment contract', () => {
    for (const id of FUNCTION_IDS) {
      expect(fnProps(json, id).Environment.Variables).toEqual({
        TABLE_NAME: { Ref: 'Table' },
        ISSUER: API_ENDPOINT_SLASH,
        SIGNING_KEY_ID: STACK_KEY_ARN,
        SIGNING_ALG: 'RS256',
        RETIRED_KEY_IDS: '',
        CONFIG_CACHE_TTL_SECONDS: '30',
        PROVIDER_TIMEOUT_MS: '5000',
        ACCESS_TOKEN_TTL_SECONDS: '86400',
        SECRETS_KEY_ID: SECRETS_KEY_ARN,
        METRICS_NAMESPACE: 'SocialTokenExchange/SocialTokenExchange',
        POWERTOOLS_SERVICE_NAME: 'social-token-exchange',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('keeps the data in an on-demand, point-in-time-recoverable, encrypted, retained table', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(json.Resources.Table).toEqual({
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'user_id', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'by_user',
            KeySchema: [
              { AttributeName: 'user_id', KeyType: 'HASH' },
              { AttributeName: 'pk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
        Tags: TAGS,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('signs with a retained RSA_2048 SIGN_VERIFY key that has an alias', () => {
    template.resourceCountIs('AWS::KMS::Key', 2);
    expect(json.Resources.SigningKey).toMatchObject({
      Type: 'AWS::KMS::Key',
      Properties: { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(json.Resources.SigningKey.Properties.EnableKeyRotation).toBeUndefined();
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/SocialTokenExchange/id-token-signing',
      TargetKeyId: STACK_KEY_ARN,
    });
  });

  it('grants each function exactly what it needs, on its log group, the table and key ARNs only', () => {
    expect(grantsOf(json, 'TokenFunction')).toEqual([
      ...baseGrants(json, 'TokenFunction'),
      { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'], resources: [TABLE_ARN] },
      { actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [STACK_KEY_ARN] },
      { actions: ['kms:Decrypt'], resources: [SECRETS_KEY_ARN] },
    ]);
    expect(grantsOf(json, 'OAuthTokenFunction')).toEqual([
      ...baseGrants(json, 'OAuthTokenFunction'),
      {
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
        resources: [TABLE_ARN],
      },
      { actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [STACK_KEY_ARN] },
      { actions: ['kms:Decrypt'], resources: [SECRETS_KEY_ARN] },
    ]);
    // Revocation needs no key and no write but the family's conditional update.
    expect(grantsOf(json, 'OAuthRevokeFunction')).toEqual([
      ...baseGrants(json, 'OAuthRevokeFunction'),
      { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], resources: [TABLE_ARN] },
    ]);
    expect(grantsOf(json, 'UserinfoFunction')).toEqual([
      ...baseGrants(json, 'UserinfoFunction'),
      { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], resources: [TABLE_ARN] },
    ]);
    expect(grantsOf(json, 'DiscoveryFunction')).toEqual([
      ...baseGrants(json, 'DiscoveryFunction'),
      { actions: ['kms:GetPublicKey'], resources: [STACK_KEY_ARN] },
    ]);
  });

  it('attaches no managed policy (AWSLambdaBasicExecutionRole would allow every log group), and grants "*" only for X-Ray', () => {
    const roles = resourcesOfType(json, 'AWS::IAM::Role');
    expect(roles.map(([id]) => id).sort()).toEqual(FUNCTION_IDS.map((id) => roleIdOf(json, id)).sort());
    for (const [, role] of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = resourcesOfType(json, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const actions = [statement.Action].flat();
      // X-Ray's write actions support no resource-level permissions.
      if ([statement.Resource].flat().includes('*')) expect(actions).toEqual(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
      expect(actions.join(' ')).not.toMatch(/\*/);
    }
  });

  it('lets only this API invoke the functions', () => {
    const permissions = resourcesOfType(json, 'AWS::Lambda::Permission');
    expect(permissions).toHaveLength(11);
    for (const [, permission] of permissions) {
      expect(permission.Properties.Principal).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(permission.Properties.SourceArn)).toMatch(/"Ref":"HttpApi/);
    }
  });

  it('outputs the API URL, issuer, JWKS URL, table name and signing key', () => {
    const outputs = Object.fromEntries(Object.entries<Json>(json.Outputs).map(([name, output]) => [name, output.Value]));
    expect(outputs).toEqual({
      ApiUrl: API_ENDPOINT_SLASH,
      Issuer: API_ENDPOINT_SLASH,
      JwksUrl: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^HttpApi/), 'ApiEndpoint'] }, '/.well-known/jwks.json']] },
      TableName: { Ref: 'Table' },
      SigningKeyId: STACK_KEY_ARN,
      StackSigningKeyId: STACK_KEY_ARN,
      SecretsKeyId: SECRETS_KEY_ARN,
      AlarmTopicArn: { Ref: expect.stringMatching(/^AlarmTopic/) },
      DashboardName: { Ref: expect.stringMatching(/^OperationsDashboard/) },
    });
  });

  it('has no dependency cycle although the functions learn the issuer from the API', () => {
    expect(findDependencyCycle(json)).toBeUndefined();
  });

  it('does not declare the local endpoint variables in a real deployment', () => {
    for (const id of FUNCTION_IDS) {
      expect(Object.keys(fnProps(json, id).Environment.Variables).filter((name) => name.startsWith('AWS_'))).toEqual([]);
    }
  });

  describe('bundles', () => {
    const assetFile = (id: string, file: string) => {
      const assetPath = json.Resources[id].Metadata['aws:asset:path'];
      return path.join(outdir, assetPath, file);
    };

    it.each(Object.entries(FUNCTIONS))('%s: an ESM bundle with its source map, where sam local can find it', (_name, id) => {
      expect(json.Resources[id].Metadata['aws:asset:property']).toBe('Code');
      const code = readFileSync(assetFile(id, ESM_OUTFILE), 'utf8');
      expect(statSync(assetFile(id, `${ESM_OUTFILE}.map`)).isFile()).toBe(true);
      // The SDK is inside: an externalized one leaves a bundle of a few kilobytes.
      expect(code.length).toBeGreaterThan(50 * 1024);
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).toMatch(/export\{[^}]*\bas handler\}/);
      expect(code.includes('__emulator/')).toBe(false);
    });

    it.each(Object.entries(HANDLER_ENTRIES))(
      '%s: the shared esbuild options rebuild the deployed bundle byte for byte, from functions/ and node_modules/ only',
      async (name, entry) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'infra-bundle-'));
        outdirs.push(dir);
        const result = await build({ ...esbuildOptions(entry, path.join(dir, ESM_OUTFILE)), write: false, metafile: true });
        const rebuilt = result.outputFiles.find((file) => file.path.endsWith(ESM_OUTFILE))!;
        const deployed = readFileSync(assetFile(FUNCTIONS[name as HandlerName], ESM_OUTFILE));
        expect(sha256(rebuilt.contents)).toBe(sha256(deployed));

        const inputs = Object.keys(result.metafile.inputs).map((input) => path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, input)));
        expect(inputs.filter((input) => !/^(functions|node_modules)\//.test(input))).toEqual([]);
        expect(inputs.some((input) => input.startsWith('node_modules/@aws-sdk/'))).toBe(true);
        // Only Node built-ins may stay outside the bundle (an external @aws-sdk/* would load
        // Lambda's own, unpinned SDK).
        const externals = Object.values(result.metafile.outputs).flatMap((output) =>
          output.imports.filter((imported) => imported.external).map((imported) => imported.path),
        );
        expect(externals.filter((module) => !isBuiltin(module))).toEqual([]);
      },
    );
  });
});

describe('ES256 deployment (context signingKeySpec=ECC_NIST_P256)', () => {
  let json: Json;
  beforeAll(() => {
    ({ json } = synth({ signingKeySpec: 'ECC_NIST_P256' }));
  });

  it('creates a P-256 signing key and tells every function to sign ES256', () => {
    expect(json.Resources.SigningKey.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    for (const id of FUNCTION_IDS) expect(fnProps(json, id).Environment.Variables.SIGNING_ALG).toBe('ES256');
  });
});

describe('custom domain (context domainName + certificateArn)', () => {
  const certificateArn = 'arn:aws:acm:eu-west-1:111122223333:certificate/11111111-2222-3333-4444-555555555555';
  let json: Json;
  let template: Template;
  beforeAll(() => {
    ({ json, template } = synth({ domainName: 'ID.Example.com', certificateArn }));
  });

  it('creates a regional TLS 1.2 domain mapped to the $default stage', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 1);
    const [[domainId, domain]] = resourcesOfType(json, 'AWS::ApiGatewayV2::DomainName') as [[string, Json]];
    expect(domain.Properties).toEqual({
      DomainName: 'id.example.com',
      DomainNameConfigurations: [{ CertificateArn: certificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
      Tags: { service: 'social-token-exchange', stage: 'prod' },
    });
    const mappings = resourcesOfType(json, 'AWS::ApiGatewayV2::ApiMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties).toEqual({
      ApiId: { Ref: expect.stringMatching(/^HttpApi/) },
      DomainName: { Ref: domainId },
      Stage: '$default',
    });
    expect(json.Outputs.CustomDomainTarget.Value).toEqual({ 'Fn::GetAtt': [domainId, 'RegionalDomainName'] });
  });

  it('issues tokens under the custom domain', () => {
    for (const id of FUNCTION_IDS) expect(fnProps(json, id).Environment.Variables.ISSUER).toBe('https://id.example.com/');
    expect(json.Outputs.Issuer.Value).toBe('https://id.example.com/');
    expect(json.Outputs.JwksUrl.Value).toBe('https://id.example.com/.well-known/jwks.json');
    expect(json.Outputs.ApiUrl.Value).toBe('https://id.example.com/');
    expect(findDependencyCycle(json)).toBeUndefined();
  });

  it('switches the execute-api endpoint off, so the domain (and whatever fronts it) is the only way in', () => {
    const [[, api]] = resourcesOfType(json, 'AWS::ApiGatewayV2::Api') as [[string, Json]];
    expect(api.Properties.DisableExecuteApiEndpoint).toBe(true);
  });
});

describe('key rotation (context activeKeyId + retiredKeyIds)', () => {
  const activeArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const retiredArn = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';
  const retiredId = '0987dcba-09fe-87dc-65ba-ab0987654321';
  let json: Json;
  beforeAll(() => {
    ({ json } = synth({ activeKeyId: activeArn, retiredKeyIds: `${retiredArn}, ${retiredId}` }));
  });

  it('signs with the active key and publishes the retired ones', () => {
    for (const id of FUNCTION_IDS) {
      expect(fnProps(json, id).Environment.Variables).toMatchObject({
        SIGNING_KEY_ID: activeArn,
        RETIRED_KEY_IDS: {
          'Fn::Join': [
            '',
            [`${retiredArn},arn:`, { Ref: 'AWS::Partition' }, ':kms:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:key/${retiredId}`],
          ],
        },
      });
    }
    expect(json.Outputs.SigningKeyId.Value).toBe(activeArn);
    expect(json.Outputs.StackSigningKeyId.Value).toEqual(STACK_KEY_ARN);
  });

  it('allows Sign on the active key only, and GetPublicKey for discovery on active + retired keys', () => {
    expect(grantsOf(json, 'TokenFunction')).toEqual([
      ...baseGrants(json, 'TokenFunction'),
      { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'], resources: [TABLE_ARN] },
      { actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [activeArn] },
      { actions: ['kms:Decrypt'], resources: [SECRETS_KEY_ARN] },
    ]);
    expect(grantsOf(json, 'DiscoveryFunction')).toEqual([
      ...baseGrants(json, 'DiscoveryFunction'),
      { actions: ['kms:GetPublicKey'], resources: [activeArn, retiredArn, keyArnInThisAccount(retiredId)] },
    ]);
    expect(grantsOf(json, 'OAuthTokenFunction')).toEqual([
      ...baseGrants(json, 'OAuthTokenFunction'),
      {
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
        resources: [TABLE_ARN],
      },
      { actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [activeArn] },
      { actions: ['kms:Decrypt'], resources: [SECRETS_KEY_ARN] },
    ]);
    expect(grantsOf(json, 'OAuthRevokeFunction')).toEqual([
      ...baseGrants(json, 'OAuthRevokeFunction'),
      { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], resources: [TABLE_ARN] },
    ]);
    expect(grantsOf(json, 'UserinfoFunction')).toEqual([
      ...baseGrants(json, 'UserinfoFunction'),
      { actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], resources: [TABLE_ARN] },
    ]);
  });

  it('no longer lets the token function sign with the stack key, which stays readable for the JWKS', () => {
    const statements = json.Resources.SigningKey.Properties.KeyPolicy.Statement as Json[];
    const signers = statements.filter((statement) => [statement.Action].flat().includes('kms:Sign'));
    expect(signers).toEqual([]);
  });

  it('keeps the stack key (retained) even when it no longer signs', () => {
    expect(json.Resources.SigningKey).toMatchObject({ Type: 'AWS::KMS::Key', DeletionPolicy: 'Retain' });
  });
});

describe('tuning from context (strings, as `-c key=value` passes them)', () => {
  let json: Json;
  beforeAll(() => {
    ({ json } = synth({
      throttleRateLimit: '10',
      throttleBurstLimit: '20',
      providerTimeoutMs: '10000',
      configCacheTtlSeconds: '60',
      accessTokenTtlSeconds: '3600',
      stackName: 'TokenExchangeStaging',
    }));
  });

  it('throttles the stage, passes the values on and stretches the token timeout to fit two provider calls', () => {
    const [[, stage]] = resourcesOfType(json, 'AWS::ApiGatewayV2::Stage') as [[string, Json]];
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
    expect(fnProps(json, 'TokenFunction').Timeout).toBe(25);
    expect(fnProps(json, 'TokenFunction').Environment.Variables).toMatchObject({
      PROVIDER_TIMEOUT_MS: '10000',
      CONFIG_CACHE_TTL_SECONDS: '60',
      ACCESS_TOKEN_TTL_SECONDS: '3600',
    });
    expect(resourcesOfType(json, 'AWS::KMS::Alias')[0]![1].Properties.AliasName).toBe('alias/TokenExchangeStaging/id-token-signing');
  });
});

describe('sam local (context samLocal=true + infra/sam-env.json)', () => {
  const samEnv = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'infra/sam-env.json'), 'utf8')) as Record<string, Record<string, string>>;
  let json: Json;
  beforeAll(() => {
    ({ json } = synth({ samLocal: 'true' }));
  });

  it('keys the env-vars file by the functions’ logical ids, one entry per function', () => {
    const functionIds = resourcesOfType(json, 'AWS::Lambda::Function').map(([id]) => id);
    expect(Object.keys(samEnv).sort()).toEqual([...functionIds].sort());
  });

  it('declares every variable the file sets (sam local only overrides declared ones)', () => {
    for (const [id, variables] of Object.entries(samEnv)) {
      const declared = Object.keys(fnProps(json, id).Environment.Variables);
      expect(declared).toEqual(expect.arrayContaining(Object.keys(variables)));
      expect(variables.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\//);
      expect(variables.AWS_ENDPOINT_URL_KMS).toMatch(/^http:\/\//);
      expect(variables.ISSUER).toMatch(/\/$/);
    }
  });

  it('leaves the endpoint placeholders empty, so the SDK ignores them when no file is given', () => {
    for (const id of FUNCTION_IDS) {
      expect(fnProps(json, id).Environment.Variables).toMatchObject({ AWS_ENDPOINT_URL_DYNAMODB: '', AWS_ENDPOINT_URL_KMS: '' });
    }
  });
});
