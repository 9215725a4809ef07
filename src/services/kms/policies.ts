/** The key policies KMS writes itself. */

/** A new key without a policy: the account (and so its IAM policies) may do anything with it. */
export function defaultKeyPolicy(accountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  });
}

const MANAGED_SERVICE_NAMES = { sqs: 'Simple Queue Service (SQS)', sns: 'Simple Notification Service (SNS)' } as const;
export type ManagedKeyService = keyof typeof MANAGED_SERVICE_NAMES;

/**
 * AWS: the policy of an AWS managed key (`alias/aws/sqs`, `alias/aws/sns`): any principal of the
 * account, but only through that service; direct access to metadata only. Service principals
 * never match it.
 */
export function awsManagedPolicy(service: ManagedKeyService, accountId: string, region: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: `auto-${service}-1`,
    Statement: [
      {
        Sid: `Allow access through ${MANAGED_SERVICE_NAMES[service]} for all principals in the account that are authorized to use ${service.toUpperCase()}`,
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com`, 'kms:CallerAccount': accountId } },
      },
      {
        Sid: 'Allow direct access to key metadata to the account',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
        Resource: '*',
      },
    ],
  });
}
