import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface EdgeWebAclProps {
  /** Requests per viewer IP in a 5-minute window before WAF answers 429 itself. */
  rateLimit: number;
}

/** The body WAF sends with its own 429: the service's OAuth error shape. */
const TOO_MANY_REQUESTS_BODY = JSON.stringify({ error: 'too_many_requests', error_description: 'too many requests from this address; retry later' });

/**
 * The CLOUDFRONT-scope WebACL of `edge=waf` (DESIGN section 12). AWS creates such WebACLs
 * only in us-east-1, so this construct must live in a us-east-1 stack. Its layers:
 * - a per-IP rate rule, evaluated first, which stops a flood before it reaches the functions
 *   (the functions' own per-IP limit then only sees failed sign-ins that got through);
 * - AWS's managed Core rule set (common web exploits) and Known bad inputs (Log4Shell and
 *   other malicious payloads).
 */
export class EdgeWebAcl extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeWebAclProps) {
    super(scope, id);
    const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const managed = (name: string, priority: number): CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      description: 'Social token exchange: per-IP rate limit and AWS managed protections',
      visibilityConfig: visibility('SocialTokenExchangeEdge'),
      customResponseBodies: {
        tooManyRequests: { contentType: 'APPLICATION_JSON', content: TOO_MANY_REQUESTS_BODY },
      },
      rules: [
        {
          name: 'PerIpRateLimit',
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'tooManyRequests',
                responseHeaders: [{ name: 'Retry-After', value: '300' }],
              },
            },
          },
          statement: { rateBasedStatement: { limit: props.rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility('PerIpRateLimit'),
        },
        managed('AWSManagedRulesCommonRuleSet', 1),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
      ],
    });
  }
}
