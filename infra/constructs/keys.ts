import { RemovalPolicy } from 'aws-cdk-lib';
import { AccountRootPrincipal, ArnPrincipal, PolicyDocument, PolicyStatement, type IGrantable, type IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * What the account's administrators (IAM principals allowed by their own policies) may do
 * with the stack's keys: manage them, never use them. Deliberately spelled out rather than
 * CDK's `kms:Create*`/`kms:ReEncrypt*`: `CreateGrant` would let an administrator hand
 * themselves `Sign` or `Decrypt` without a visible policy change, and `ReEncrypt*` reads a
 * ciphertext back under a key of their choosing. `PutKeyPolicy` stays, as CloudFormation's
 * lock-out check requires; changing the policy is an audited, visible act.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:GetKeyRotationStatus',
  'kms:RotateKeyOnDemand',
  'kms:ListKeyRotations',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:ListKeyPolicies',
  'kms:ListGrants',
  'kms:RevokeGrant',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

/** Encryption context of a sealed connection secret (functions/store/sealed-secrets.ts writes the same). */
export const SECRETS_CONTEXT_KEY = 'connection';

export interface StackKeysProps {
  stackName: string;
  signingKeySpec: 'RSA_2048' | 'ECC_NIST_P256';
  /** An operator role that may decrypt connection secrets (e.g. `users delete` signing Apple's revocation). */
  adminRoleArn?: string;
}

/**
 * The stack's two KMS keys and the only way functions get to use them: each `allow*`
 * method adds the statement to the key's own policy (without which IAM alone grants
 * nothing here, since the account root is not trusted for use) and to the role's policy.
 */
export class StackKeys extends Construct {
  readonly signingKey: Key;
  readonly secretsKey: Key;

  constructor(scope: Construct, id: string, props: StackKeysProps) {
    super(scope, id);
    // The keys live directly under the stack, where the signing key always was: moving a
    // retained key in the construct tree would make CloudFormation create a new one.
    const admins = new AccountRootPrincipal();
    this.signingKey = new Key(scope, 'SigningKey', {
      description: `Signs the id_tokens issued by ${props.stackName}`,
      keySpec: props.signingKeySpec === 'ECC_NIST_P256' ? KeySpec.ECC_NIST_P256 : KeySpec.RSA_2048,
      keyUsage: KeyUsage.SIGN_VERIFY,
      alias: `alias/${props.stackName}/id-token-signing`,
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'AdministerNotSign',
            principals: [admins],
            // Public keys are public: operators may read them to check the JWKS.
            actions: [...KEY_ADMIN_ACTIONS, 'kms:GetPublicKey'],
            resources: ['*'],
          }),
        ],
      }),
      // A deleted key can never verify the tokens it signed, and KMS deletion is irreversible.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const decryptors: IPrincipal[] = [];
    this.secretsKey = new Key(scope, 'SecretsKey', {
      description: `Encrypts the connection secrets (provider app secrets, keys) of ${props.stackName}`,
      enableKeyRotation: true,
      alias: `alias/${props.stackName}/connection-secrets`,
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'AdministerAndEncryptNotDecrypt',
            principals: [admins],
            // `npm run tenant -- apply` encrypts; encrypting reveals nothing.
            actions: [...KEY_ADMIN_ACTIONS, 'kms:Encrypt'],
            resources: ['*'],
          }),
        ],
      }),
      // Losing it would make every stored secret unreadable; the table is retained too.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.adminRoleArn !== undefined) decryptors.push(new ArnPrincipal(props.adminRoleArn));
    for (const principal of decryptors) this.addDecryptStatement(principal);
  }

  /** kms:Sign (and the public key, for the `kid`) on the stack's signing key. */
  allowSigning(grantee: IGrantable): void {
    this.signingKey.addToResourcePolicy(
      new PolicyStatement({
        sid: `Sign${this.sidOf(grantee)}`,
        principals: [grantee.grantPrincipal],
        actions: ['kms:Sign', 'kms:GetPublicKey'],
        resources: ['*'],
      }),
    );
  }

  /** kms:GetPublicKey only, on the stack's signing key. */
  allowPublicKey(grantee: IGrantable): void {
    this.signingKey.addToResourcePolicy(
      new PolicyStatement({
        sid: `PublicKey${this.sidOf(grantee)}`,
        principals: [grantee.grantPrincipal],
        actions: ['kms:GetPublicKey'],
        resources: ['*'],
      }),
    );
  }

  /** kms:Decrypt of connection secrets, in the key policy and the role's policy. */
  allowSecretsDecrypt(grantee: IGrantable): void {
    this.addDecryptStatement(grantee.grantPrincipal, this.sidOf(grantee));
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.secretsKey.keyArn] }),
    );
  }

  private addDecryptStatement(principal: IPrincipal, sid = 'Operator'): void {
    this.secretsKey.addToResourcePolicy(
      new PolicyStatement({
        sid: `Decrypt${sid}`,
        principals: [principal],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        // Only ciphertexts made for a connection: nothing else is ever encrypted under this key.
        conditions: { StringLike: { [`kms:EncryptionContext:${SECRETS_CONTEXT_KEY}`]: '*' } },
      }),
    );
  }

  private sidOf(grantee: IGrantable): string {
    const node = (grantee as unknown as Construct).node;
    return (node?.id ?? 'Grantee').replace(/[^A-Za-z0-9]/g, '');
  }
}
