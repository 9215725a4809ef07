/** The identity entities sealq keeps, in AWS's terms. Times are epoch milliseconds. */

export interface Tag {
  key: string;
  value: string;
}

export interface UserEntity {
  accountId: string;
  name: string;
  userId: string;
  path: string;
  arn: string;
  createdAt: number;
  tags: Tag[];
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
  permissionsBoundary?: string;
}

export interface RoleEntity {
  accountId: string;
  name: string;
  roleId: string;
  path: string;
  arn: string;
  createdAt: number;
  trustPolicy: string;
  description?: string;
  maxSessionDurationSeconds: number;
  tags: Tag[];
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
}

export interface GroupEntity {
  accountId: string;
  name: string;
  groupId: string;
  path: string;
  arn: string;
  createdAt: number;
  members: string[];
  inlinePolicies: Record<string, string>;
  attachedPolicies: string[];
}

export interface PolicyVersion {
  versionId: string;
  document: string;
  createdAt: number;
}

export interface ManagedPolicyEntity {
  accountId: string;
  name: string;
  policyId: string;
  path: string;
  arn: string;
  description?: string;
  createdAt: number;
  updatedAt: number;
  defaultVersionId: string;
  versions: PolicyVersion[];
  nextVersion: number;
}

export interface AccessKeyEntity {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /** Absent for an account's root credentials. */
  userName?: string;
  status: 'Active' | 'Inactive';
  createdAt: number;
}

/** Temporary credentials from STS AssumeRole. */
export interface SessionEntity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  accountId: string;
  roleName: string;
  roleArn: string;
  roleId: string;
  sessionName: string;
  sessionPolicy?: string;
  expiresAt: number;
}

export interface AccountEntity {
  accountId: string;
  createdAt: number;
}

/** Who made a request, as policies and SQS see it. */
export interface Principal {
  /** `Service`: an AWS service principal (e.g. sns.amazonaws.com) delivering on a resource's behalf. */
  type: 'Account' | 'User' | 'AssumedRole' | 'Service';
  accountId: string;
  /** The caller's ARN (for a role session, the assumed-role session ARN). */
  arn: string;
  /** aws:PrincipalArn: the role ARN for role sessions, the caller ARN otherwise. */
  principalArn: string;
  /** aws:userid: account id for root, AIDA… for users, AROA…:session for role sessions. */
  userId: string;
  userName?: string;
  roleName?: string;
  sessionName?: string;
  sessionPolicy?: string;
  accessKeyId?: string;
  /**
   * The requester identity SQS distinguishes for data-key caches: account, user, or role plus
   * session policy (not the session name).
   */
  requesterId: string;
  /** Service principals: the service name, and the resource they act for (aws:SourceArn/Account). */
  serviceName?: string;
  sourceArn?: string;
  sourceAccount?: string;
}

/** A service principal acting for a source resource, as event sources deliver. */
export function servicePrincipal(serviceName: string, sourceArn?: string, sourceAccount?: string): Principal {
  return {
    type: 'Service',
    accountId: sourceAccount ?? '',
    arn: serviceName,
    principalArn: serviceName,
    userId: serviceName,
    serviceName,
    sourceArn,
    sourceAccount,
    requesterId: `service:${serviceName}#${sourceArn ?? ''}`,
  };
}
