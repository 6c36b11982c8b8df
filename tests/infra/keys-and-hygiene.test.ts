import { describe, expect, it } from 'vitest';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addTokenExchangeStack } from '../../infra/stack.js';
import { KEY_ADMIN_ACTIONS } from '../../infra/constructs/keys.js';

type Json = Record<string, any>;

const synth = (context: Record<string, unknown> = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = addTokenExchangeStack(app);
  return Template.fromStack(stack).toJSON() as Json;
};

const ofType = (json: Json, type: string): Array<[string, Json]> =>
  Object.entries<Json>(json.Resources).filter(([, resource]) => resource.Type === type);

const roleOf = (json: Json, functionId: string) => ({ 'Fn::GetAtt': [json.Resources[functionId].Properties.Role['Fn::GetAtt'][0], 'Arn'] });
const ACCOUNT_ROOT = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] };

/** Who may do what with a key, from its key policy: principal → actions. */
const keyPolicy = (json: Json, keyId: string) =>
  (json.Resources[keyId].Properties.KeyPolicy.Statement as Json[]).map((statement) => ({
    principal: statement.Principal.AWS,
    actions: [statement.Action].flat() as string[],
    condition: statement.Condition,
    effect: statement.Effect,
  }));

describe('the signing key policy (default deployment)', () => {
  const json = synth();
  const statements = keyPolicy(json, 'SigningKey');

  it('lets only the two token functions sign; discovery reads the public key only', () => {
    const signers = statements.filter((s) => s.actions.includes('kms:Sign'));
    expect(signers).toEqual(
      ['TokenFunction', 'OAuthTokenFunction'].map((id) => ({ principal: roleOf(json, id), actions: ['kms:Sign', 'kms:GetPublicKey'], condition: undefined, effect: 'Allow' })),
    );
    for (const id of ['OAuthRevokeFunction', 'UserinfoFunction']) {
      expect(statements.some((s) => JSON.stringify(s.principal) === JSON.stringify(roleOf(json, id)))).toBe(false);
    }
    expect(statements).toContainEqual({ principal: roleOf(json, 'DiscoveryFunction'), actions: ['kms:GetPublicKey'], condition: undefined, effect: 'Allow' });
    expect(statements.some((s) => JSON.stringify(s.principal) === JSON.stringify(roleOf(json, 'UserinfoFunction')))).toBe(false);
  });

  it('leaves administrators key administration (PutKeyPolicy included) but no use of the key and no grants', () => {
    const admin = statements.filter((s) => JSON.stringify(s.principal) === JSON.stringify(ACCOUNT_ROOT));
    expect(admin).toHaveLength(1);
    expect(admin[0]!.actions).toEqual([...KEY_ADMIN_ACTIONS, 'kms:GetPublicKey']);
    expect(admin[0]!.actions).toContain('kms:PutKeyPolicy');
    for (const forbidden of ['kms:Sign', 'kms:CreateGrant', 'kms:*', 'kms:Decrypt', 'kms:ReEncryptFrom']) {
      expect(admin[0]!.actions).not.toContain(forbidden);
    }
    expect(admin[0]!.actions.some((action) => action.includes('*'))).toBe(false);
  });
});

describe('the secrets key (connection secrets at rest)', () => {
  const json = synth();
  const statements = keyPolicy(json, 'SecretsKey');

  it('is a retained, rotated, symmetric key', () => {
    expect(json.Resources.SecretsKey).toMatchObject({
      Type: 'AWS::KMS::Key',
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
    });
    expect(json.Resources.SecretsKey.Properties.KeySpec ?? 'SYMMETRIC_DEFAULT').toBe('SYMMETRIC_DEFAULT');
    expect(json.Resources.SecretsKey.Properties.KeyUsage ?? 'ENCRYPT_DECRYPT').toBe('ENCRYPT_DECRYPT');
  });

  it('lets only the two token functions decrypt, and only connection ciphertexts', () => {
    const decryptors = statements.filter((s) => s.actions.includes('kms:Decrypt'));
    expect(decryptors).toEqual(
      ['TokenFunction', 'OAuthTokenFunction'].map((id) => ({
        principal: roleOf(json, id),
        actions: ['kms:Decrypt'],
        condition: { StringLike: { 'kms:EncryptionContext:connection': '*' } },
        effect: 'Allow',
      })),
    );
  });

  it('lets administrators (and so `tenant apply`) encrypt, never decrypt or re-encrypt', () => {
    const admin = statements.find((s) => JSON.stringify(s.principal) === JSON.stringify(ACCOUNT_ROOT))!;
    expect(admin.actions).toEqual([...KEY_ADMIN_ACTIONS, 'kms:Encrypt']);
    expect(admin.actions.some((action) => /Decrypt|ReEncrypt|GenerateDataKey|CreateGrant/.test(action))).toBe(false);
  });

  it('adds the operator role of -c adminRoleArn as the one other decryptor', () => {
    const adminRoleArn = 'arn:aws:iam::111122223333:role/token-exchange-operator';
    const withAdmin = synth({ adminRoleArn });
    const decryptors = keyPolicy(withAdmin, 'SecretsKey').filter((s) => s.actions.includes('kms:Decrypt'));
    expect(decryptors.map((s) => s.principal)).toEqual([adminRoleArn, roleOf(withAdmin, 'TokenFunction'), roleOf(withAdmin, 'OAuthTokenFunction')]);
    // Never a signer.
    expect(JSON.stringify(keyPolicy(withAdmin, 'SigningKey'))).not.toContain(adminRoleArn);
  });
});

describe('hygiene', () => {
  it('tags every taggable resource with service and stage (-c stage)', () => {
    const json = synth({ stage: 'staging' });
    const taggable = Object.entries<Json>(json.Resources).filter(([, resource]) => resource.Properties && 'Tags' in resource.Properties);
    // Functions, roles, table, keys, log groups, the topic, the API and its stage at least.
    expect(taggable.length).toBeGreaterThanOrEqual(14);
    const untagged = ['AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::SNS::Topic']
      .flatMap((type) => ofType(json, type))
      .filter(([, resource]) => !resource.Properties?.Tags);
    expect(untagged.map(([id]) => id)).toEqual([]);
    for (const [id, resource] of taggable) {
      const tags = resource.Properties.Tags;
      // HTTP APIs take tags as a map, the others as a list.
      const asMap = Array.isArray(tags) ? Object.fromEntries(tags.map((tag: Json) => [tag.Key, tag.Value])) : tags;
      expect(asMap, id).toMatchObject({ service: 'social-token-exchange', stage: 'staging' });
    }
  });

  it('takes the audit-log retention from context, reserved concurrency for the token function, and ISSUER always', () => {
    const json = synth({ auditLogRetentionDays: '731', tokenReservedConcurrency: '50' });
    const token = json.Resources.TokenFunction.Properties;
    expect(token.ReservedConcurrentExecutions).toBe(50);
    expect(json.Resources.UserinfoFunction.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(json.Resources[token.LoggingConfig.LogGroup.Ref]).toMatchObject({ Properties: { RetentionInDays: 731 }, DeletionPolicy: 'Retain' });
    for (const [, fn] of ofType(json, 'AWS::Lambda::Function')) expect(fn.Properties.Environment.Variables.ISSUER).toBeTruthy();
  });
});

describe('cdk-nag AwsSolutionsChecks', () => {
  it.each([
    ['default', {}],
    ['custom domain, rotation, operator role, alarm email', {
      domainName: 'id.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/11111111-2222-3333-4444-555555555555',
      activeKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
      adminRoleArn: 'arn:aws:iam::111122223333:role/operator',
      alarmEmail: 'oncall@example.com',
    }],
  ])('passes (%s) with the suppressions written in the code only', (_name, context) => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'nag-'));
    try {
      const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      addTokenExchangeStack(app);
      let failure: unknown;
      try {
        app.synth();
      } catch (error) {
        failure = error;
      }
      const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Json;
      const violations = (report.pluginReports as Json[]).flatMap((plugin) => plugin.violations ?? []);
      expect(violations.map((violation: Json) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
      expect(failure).toBeUndefined();
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
