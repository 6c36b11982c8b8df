import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestCookieBehavior,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER } from '../../functions/http/edge.js';

export interface ApiDistributionProps {
  api: HttpApi;
  /** ARN of a CLOUDFRONT-scope WebACL (us-east-1). */
  webAclArn: string;
  /** Served by the distribution instead of the API (a us-east-1 certificate). */
  customDomain?: { domainName: string; certificateArn: string };
}

/**
 * CloudFront in front of the HTTP API for `edge=waf` (DESIGN section 12). HTTP APIs cannot
 * take a WebACL, so WAF sits on this distribution; the execute-api URL stays reachable, and
 * an origin-verify secret that only CloudFront adds lets the functions refuse what bypassed
 * it (functions/http/edge.ts).
 */
export class ApiDistribution extends Construct {
  readonly distribution: Distribution;
  /** The secret value CloudFront sends; the functions get the same value. */
  readonly originVerifySecret: string;
  /** The base URL clients call: the custom domain, else the distribution's own. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiDistributionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const secret = new Secret(this, 'OriginVerifySecret', {
      description: 'Header value CloudFront adds to every origin request; the functions refuse requests without it',
      generateSecretString: { excludePunctuation: true, passwordLength: 48 },
    });
    // A CloudFormation dynamic reference: resolved at deploy time, never in the template.
    this.originVerifySecret = secret.secretValue.unsafeUnwrap();

    // The Host header is not among them: API Gateway routes by its own host name. The
    // viewer's address feeds the per-IP limit; Origin and the Access-Control-Request-*
    // headers feed CORS, answered by the functions.
    const originRequestPolicy = new OriginRequestPolicy(this, 'OriginRequestPolicy', {
      comment: 'Token exchange API: CORS headers and the viewer address, never Host',
      headerBehavior: OriginRequestHeaderBehavior.allowList(
        'Origin',
        'Content-Type',
        'Access-Control-Request-Method',
        'Access-Control-Request-Headers',
        'User-Agent',
        VIEWER_ADDRESS_HEADER,
      ),
      queryStringBehavior: OriginRequestQueryStringBehavior.none(),
      cookieBehavior: OriginRequestCookieBehavior.none(),
    });
    // CloudFront forwards Authorization (for /userinfo) only as part of a cache key. Nothing
    // is kept for long: token answers say no-store, and the discovery documents at most 1 s.
    const cachePolicy = new CachePolicy(this, 'CachePolicy', {
      comment: 'Token exchange API: Authorization in the key, next to no caching',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: CacheQueryStringBehavior.none(),
      cookieBehavior: CacheCookieBehavior.none(),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `${stack.stackName}: token exchange API behind AWS WAF`,
      webAclId: props.webAclArn,
      httpVersion: HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      ...(props.customDomain
        ? {
            domainNames: [props.customDomain.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
          }
        : {}),
      defaultBehavior: {
        origin: new HttpOrigin(`${props.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          customHeaders: { [ORIGIN_VERIFY_HEADER]: this.originVerifySecret },
        }),
        // POST for the token endpoints, OPTIONS for preflights, GET for discovery and userinfo.
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        originRequestPolicy,
        cachePolicy,
        compress: true,
      },
    });
    this.url = props.customDomain ? `https://${props.customDomain.domainName}/` : `https://${this.distribution.distributionDomainName}/`;
  }
}
