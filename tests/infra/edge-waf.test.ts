import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readStackConfig } from '../../infra/config.js';
import { addTokenExchangeStack, LOGICAL_IDS } from '../../infra/stack.js';

type Json = Record<string, any>;

/** `-c edge=waf` (DESIGN section 12), synthesized without bundling. */
const synth = (context: Record<string, unknown>) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], edge: 'waf', ...context } });
  const main = addTokenExchangeStack(app);
  const stacks = app.node.children.filter((child): child is Stack => child instanceof Stack);
  return { main: Template.fromStack(main), stacks };
};

const resourcesOf = (template: Template, type: string): Json[] => Object.values<Json>(template.toJSON().Resources).filter((r) => r.Type === type);

describe('edge=waf in a region other than us-east-1', () => {
  const { main, stacks } = synth({ region: 'eu-west-1' });
  const waf = stacks.find((stack) => stack.region === 'us-east-1')!;
  const wafTemplate = Template.fromStack(waf);
  const distribution = resourcesOf(main, 'AWS::CloudFront::Distribution')[0]!.Properties.DistributionConfig as Json;

  it('puts the WebACL in a small second stack in us-east-1, CLOUDFRONT scope', () => {
    expect(stacks.map((stack) => stack.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    wafTemplate.resourceCountIs('AWS::WAFv2::WebACL', 1);
    // Only the WebACL, plus CDK's writer of the cross-region export of its ARN.
    const types = new Set(Object.values<Json>(wafTemplate.toJSON().Resources).map((resource) => resource.Type as string));
    types.delete('AWS::WAFv2::WebACL');
    for (const type of types) expect(type).toMatch(/^(Custom::CrossRegionExportWriter|AWS::IAM::Role|AWS::Lambda::Function|AWS::CloudFormation::CustomResource|AWS::CDK::Metadata)$/);
    wafTemplate.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    main.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  it('attaches the WebACL to the distribution (through the cross-region reference)', () => {
    expect(JSON.stringify(distribution.WebACLId)).toMatch(/EdgeWebAcl.*Arn/);
  });

  it('has a per-IP rate rule first, then the AWS managed common and known-bad-inputs groups', () => {
    const rules = resourcesOf(wafTemplate, 'AWS::WAFv2::WebACL')[0]!.Properties.Rules as Json[];
    const rate = rules.find((rule) => rule.Statement.RateBasedStatement);
    expect(rate).toMatchObject({
      Priority: 0,
      Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 500, EvaluationWindowSec: 300 } },
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
    });
    const managed = rules.filter((rule) => rule.Statement.ManagedRuleGroupStatement).map((rule) => rule.Statement.ManagedRuleGroupStatement);
    expect(managed).toEqual([
      { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' },
      { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' },
    ]);
    for (const rule of rules.filter((r) => r.Statement.ManagedRuleGroupStatement)) expect(rule.OverrideAction).toEqual({ None: {} });
  });

  it('allows POST and OPTIONS, over HTTPS only, to the execute-api origin', () => {
    const behavior = distribution.DefaultCacheBehavior as Json;
    expect(behavior.AllowedMethods).toEqual(expect.arrayContaining(['POST', 'OPTIONS', 'GET']));
    expect(behavior.ViewerProtocolPolicy).toBe('https-only');
    const origin = distribution.Origins[0] as Json;
    expect(JSON.stringify(origin.DomainName)).toMatch(/execute-api\.eu-west-1\./);
    expect(origin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
  });

  it("forwards the viewer address and the CORS headers, never the viewer's Host", () => {
    const policy = resourcesOf(main, 'AWS::CloudFront::OriginRequestPolicy')[0]!.Properties.OriginRequestPolicyConfig as Json;
    expect(policy.HeadersConfig.HeaderBehavior).toBe('whitelist');
    const headers = (policy.HeadersConfig.Headers as string[]).map((h) => h.toLowerCase());
    expect(headers).toEqual(expect.arrayContaining(['cloudfront-viewer-address', 'origin', 'access-control-request-method', 'access-control-request-headers']));
    expect(headers).not.toContain('host');
    expect(JSON.stringify(distribution.DefaultCacheBehavior.OriginRequestPolicyId)).toMatch(/OriginRequestPolicy/);
    // Authorization reaches /userinfo through the cache key, with next to no caching.
    const cache = resourcesOf(main, 'AWS::CloudFront::CachePolicy')[0]!.Properties.CachePolicyConfig as Json;
    expect(cache).toMatchObject({ DefaultTTL: 0, MinTTL: 0, MaxTTL: 1 });
    expect(cache.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers).toEqual(['Authorization']);
  });

  it('adds an origin-verify secret header that the functions require', () => {
    const header = (distribution.Origins[0].OriginCustomHeaders as Json[]).find((h) => h.HeaderName === 'x-origin-verify');
    expect(header).toBeDefined();
    const secretRef = JSON.stringify(header!.HeaderValue);
    expect(secretRef).toMatch(/resolve:secretsmanager/);
    main.resourceCountIs('AWS::SecretsManager::Secret', 1);
    for (const id of [LOGICAL_IDS.token, LOGICAL_IDS.userinfo, LOGICAL_IDS.discovery]) {
      const env = main.toJSON().Resources[id].Properties.Environment.Variables as Json;
      expect(JSON.stringify(env.ORIGIN_VERIFY_SECRET)).toBe(secretRef);
    }
  });

  it('makes the distribution the issuer, and keeps CORS off the HTTP API', () => {
    const env = main.toJSON().Resources[LOGICAL_IDS.token].Properties.Environment.Variables as Json;
    expect(JSON.stringify(env.ISSUER)).toMatch(/EdgeDistribution.*DomainName/);
    main.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
    main.hasOutput('DistributionDomainName', {});
  });
});

describe('edge=waf in us-east-1, with a custom domain', () => {
  const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
  const { main, stacks } = synth({ region: 'us-east-1', domainName: 'auth.example.com', certificateArn });

  it('keeps the WebACL in the one stack and the domain on the distribution', () => {
    expect(stacks).toHaveLength(1);
    main.resourceCountIs('AWS::WAFv2::WebACL', 1);
    main.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    const distribution = resourcesOf(main, 'AWS::CloudFront::Distribution')[0]!.Properties.DistributionConfig as Json;
    expect(distribution.Aliases).toEqual(['auth.example.com']);
    expect(distribution.ViewerCertificate).toMatchObject({ AcmCertificateArn: certificateArn, SslSupportMethod: 'sni-only' });
    expect(distribution.WebACLId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EdgeWebAcl/), 'Arn'] });
    const env = main.toJSON().Resources[LOGICAL_IDS.token].Properties.Environment.Variables as Json;
    expect(env.ISSUER).toBe('https://auth.example.com/');
  });
});

describe('edge context', () => {
  const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });
  it('needs the region, a us-east-1 certificate and a WAF-sized rate limit', () => {
    const previous = process.env.CDK_DEFAULT_REGION;
    delete process.env.CDK_DEFAULT_REGION;
    try {
      expect(() => readStackConfig(context({ edge: 'waf' }))).toThrow(/region/);
    } finally {
      if (previous !== undefined) process.env.CDK_DEFAULT_REGION = previous;
    }
    expect(() =>
      readStackConfig(context({ edge: 'waf', region: 'eu-west-1', domainName: 'a.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' })),
    ).toThrow(/us-east-1/);
    expect(() => readStackConfig(context({ edge: 'waf', region: 'eu-west-1', wafRateLimit: 5 }))).toThrow(/wafRateLimit/);
    expect(() => readStackConfig(context({ edge: 'cloudfront' }))).toThrow(/edge/);
    expect(readStackConfig(context({})).edge).toBeUndefined();
  });
});
