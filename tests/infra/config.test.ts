import { describe, expect, it } from 'vitest';
import { readStackConfig } from '../../infra/config.js';

const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:eu-west-1:111122223333:key/${KEY_ID}`;
const MRK_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';
const CERT = 'arn:aws:acm:eu-west-1:111122223333:certificate/11111111-2222-3333-4444-555555555555';

describe('readStackConfig', () => {
  it('defaults to an RS256 stack key, modest throttling and the documented runtime settings', () => {
    expect(readStackConfig(context({}))).toEqual({
      stackName: 'SocialTokenExchange',
      signingKeySpec: 'RSA_2048',
      signingAlg: 'RS256',
      retiredKeyIds: [],
      throttle: { rateLimit: 50, burstLimit: 100 },
      configCacheTtlSeconds: 30,
      providerTimeoutMs: 5000,
      accessTokenTtlSeconds: 86400,
      samLocal: false,
      stage: 'prod',
      auditLogRetentionDays: 365,
    });
  });

  it('reads the operations settings: alarm topic or email, operator role, stage, audit retention, reserved concurrency', () => {
    const config = readStackConfig(
      context({
        alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:oncall',
        alarmEmail: 'oncall@example.com',
        adminRoleArn: 'arn:aws:iam::111122223333:role/ops/token-admin',
        stage: 'staging',
        auditLogRetentionDays: '731',
        tokenReservedConcurrency: '25',
      }),
    );
    expect(config).toMatchObject({
      alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:oncall',
      alarmEmail: 'oncall@example.com',
      adminRoleArn: 'arn:aws:iam::111122223333:role/ops/token-admin',
      stage: 'staging',
      auditLogRetentionDays: 731,
      tokenReservedConcurrency: 25,
    });
  });

  it('derives ES256 from a P-256 key spec, and lets signingAlg describe an external active key', () => {
    expect(readStackConfig(context({ signingKeySpec: 'ECC_NIST_P256' })).signingAlg).toBe('ES256');
    const rotated = readStackConfig(context({ activeKeyId: KEY_ARN, signingAlg: 'ES256' }));
    expect(rotated).toMatchObject({ signingKeySpec: 'RSA_2048', signingAlg: 'ES256', activeKeyId: KEY_ARN });
  });

  it('accepts key ids and ARNs as a comma list (command line) or an array (cdk.json), without blanks or repeats', () => {
    expect(readStackConfig(context({ retiredKeyIds: ` ${KEY_ID}, ${MRK_ARN},,${KEY_ID} ` })).retiredKeyIds).toEqual([KEY_ID, MRK_ARN]);
    expect(readStackConfig(context({ retiredKeyIds: [MRK_ARN] })).retiredKeyIds).toEqual([MRK_ARN]);
    expect(readStackConfig(context({ retiredKeyIds: '' })).retiredKeyIds).toEqual([]);
  });

  it('reads numbers and flags given as strings', () => {
    const config = readStackConfig(
      context({ throttleRateLimit: '7', throttleBurstLimit: 9, providerTimeoutMs: '2500', samLocal: 'true' }),
    );
    expect(config).toMatchObject({ throttle: { rateLimit: 7, burstLimit: 9 }, providerTimeoutMs: 2500, samLocal: true });
  });

  it('takes a custom domain in lower case', () => {
    expect(readStackConfig(context({ domainName: 'Auth.Example.COM', certificateArn: CERT })).customDomain).toEqual({
      domainName: 'auth.example.com',
      certificateArn: CERT,
    });
  });

  it.each([
    ['an unknown key spec', { signingKeySpec: 'RSA_4096' }, /signingKeySpec.*RSA_2048, ECC_NIST_P256/],
    ['an unknown algorithm', { signingAlg: 'PS256' }, /signingAlg/],
    ['an alias as active key (IAM cannot scope Sign to it)', { activeKeyId: 'alias/my-key' }, /activeKeyId.*not an alias/],
    ['a malformed retired key', { retiredKeyIds: `${KEY_ID},nope` }, /retiredKeyIds.*"nope"/],
    ['the active key also retired', { activeKeyId: KEY_ID, retiredKeyIds: KEY_ID }, /retiredKeyIds/],
    ['a domain without certificate', { domainName: 'auth.example.com' }, /set both or neither/],
    ['a certificate without domain', { certificateArn: CERT }, /set both or neither/],
    ['a certificate that is no ACM ARN', { domainName: 'auth.example.com', certificateArn: 'cert' }, /certificateArn/],
    ['a domain that is no DNS name', { domainName: 'https://auth.example.com/', certificateArn: CERT }, /domainName/],
    ['a zero rate limit', { throttleRateLimit: '0' }, /throttleRateLimit.*positive integer/],
    ['a fractional timeout', { providerTimeoutMs: '2.5' }, /providerTimeoutMs/],
    ['a provider timeout beyond what API Gateway waits for', { providerTimeoutMs: 15000 }, /providerTimeoutMs.*12000/],
    ['a flag that is no boolean', { samLocal: 'yes' }, /samLocal/],
    ['a stack name CloudFormation refuses', { stackName: 'my_stack' }, /stackName/],
    ['a retention CloudWatch Logs does not offer', { auditLogRetentionDays: '100' }, /auditLogRetentionDays.*365/],
    ['an alarm topic that is no SNS ARN', { alarmTopicArn: 'oncall' }, /alarmTopicArn/],
    ['an email that is no address', { alarmEmail: 'oncall' }, /alarmEmail/],
    ['an operator that is no role ARN', { adminRoleArn: 'arn:aws:iam::111122223333:user/bob' }, /adminRoleArn/],
    ['a zero reserved concurrency', { tokenReservedConcurrency: '0' }, /tokenReservedConcurrency/],
  ])('refuses %s', (_case, values, message) => {
    expect(() => readStackConfig(context(values))).toThrow(message);
  });
});
