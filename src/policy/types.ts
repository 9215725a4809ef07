/** The IAM policy language as data: parsed documents, the request being authorized, and decisions. */

export type PolicyVersion = '2012-10-17' | '2008-10-17';
export type Effect = 'Allow' | 'Deny';

/** A parsed policy. `version` is '2008-10-17' when the document had no Version. */
export interface PolicyDocument {
  version: PolicyVersion;
  id?: string;
  statements: Statement[];
}

/** Principals named by a statement; account ids are normalised to `arn:<partition>:iam::<id>:root`. */
export interface PrincipalSet {
  /** `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers and service principals. */
  any: boolean;
  aws: string[];
  service: string[];
  federated: string[];
  canonicalUser: string[];
}

/** A statement with every list-valued element normalised to an array. */
export interface Statement {
  sid?: string;
  effect: Effect;
  principal?: PrincipalSet;
  notPrincipal?: PrincipalSet;
  action?: string[];
  notAction?: string[];
  /** Absent (with notResource absent too) in resource policies means "the resource this is attached to". */
  resource?: string[];
  notResource?: string[];
  conditions: ConditionClause[];
}

export type SetQualifier = 'ForAnyValue' | 'ForAllValues';

/** One key under one operator, e.g. `"ForAllValues:StringLikeIfExists": {"aws:TagKeys": [...]}`. */
export interface ConditionClause {
  /** The operator as written, for traces. */
  operator: string;
  /** The operator without qualifier or IfExists, e.g. 'StringLike'. */
  base: string;
  ifExists: boolean;
  qualifier?: SetQualifier;
  /** The key as written; lookups are case-insensitive. */
  key: string;
  /** JSON numbers and booleans are kept as their string form. */
  values: string[];
}

export type PrincipalType = 'Account' | 'User' | 'AssumedRole' | 'Role' | 'Service' | 'Anonymous';

export interface RequestPrincipal {
  type: PrincipalType;
  /** User ARN, `arn:aws:sts::<acct>:assumed-role/<role>/<session>`, role ARN, root ARN; '' for services and anonymous. */
  arn: string;
  /** '' for services and anonymous callers. */
  accountId: string;
  /** AIDA… for users, `AROA…:<session>` for role sessions, the account id for the root user. */
  userId?: string;
  /** For `Service` principals, e.g. 'sns.amazonaws.com'. */
  serviceName?: string;
  /** For role sessions: the role's ARN (with its path). Derived from the session ARN when absent. */
  roleArn?: string;
}

export type ContextValue = string | string[] | undefined;

export interface RequestContext {
  principal: RequestPrincipal;
  /** e.g. 'sqs:SendMessage'. */
  action: string;
  /** The resource ARN, or '*' for actions without a resource. */
  resource: string;
  /** The account owning the resource when its ARN has none (S3 buckets); defaults to the ARN's account. */
  resourceAccountId?: string;
  /**
   * Condition keys (aws:*, sqs:*, kms:*…). Names are matched case-insensitively. aws:PrincipalArn,
   * aws:PrincipalAccount, aws:PrincipalType, aws:userid, aws:username and aws:PrincipalServiceName are
   * derived from `principal` when not given.
   */
  conditionKeys: Record<string, ContextValue>;
  /** The request time; supplies aws:CurrentTime and aws:EpochTime when those keys are not given. */
  time?: Date;
  /** KMS: the request's encryption context, for grant constraints (keys and values case-sensitive). */
  encryptionContext?: Record<string, string>;
}

/** A policy with the name the trace reports (policy name, ARN, or e.g. 'queue policy'). */
export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}

export type PolicyKind = 'identity' | 'resource' | 'session' | 'boundary' | 'key' | 'grant';

/**
 * How a resource or key policy statement's principal matched the requester. `exact`: its own ARN (user,
 * role session, root user) or service name; `wildcard`: `*`; `not-principal`: not excluded by
 * NotPrincipal; `role`: the role of a role session; `account`: only the requester's account, which
 * delegates to the account's identity policies rather than granting by itself.
 */
export type PrincipalMatch = 'exact' | 'wildcard' | 'not-principal' | 'role' | 'account';

export interface StatementRef {
  policy: string;
  kind: PolicyKind;
  /** Zero-based position in the document's Statement list (the grant's position for grants). */
  index: number;
  sid?: string;
  effect: Effect;
  principalMatch?: PrincipalMatch;
}

/** A statement whose action, resource and principal matched but whose condition did not. */
export interface ConditionMiss {
  statement: StatementRef;
  operator: string;
  key: string;
}

export type DecisionReason =
  | 'explicit-deny'
  | 'root-user'
  | 'identity-allow'
  | 'resource-allow'
  | 'identity-and-resource-allow'
  | 'key-policy-allow'
  | 'key-policy-delegated-allow'
  | 'grant-allow'
  | 'no-allow'
  | 'account-grant-needs-identity-allow'
  | 'boundary-implicit-deny'
  | 'session-policy-implicit-deny'
  | 'cross-account-needs-identity-allow'
  | 'cross-account-needs-resource-allow'
  | 'key-policy-no-allow'
  | 'key-policy-no-delegation';

export interface Decision {
  decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** Allow: the statements that together allowed. ExplicitDeny: every matching Deny. Else empty. */
  matched: StatementRef[];
  reason: DecisionReason;
  request: { principal: string; action: string; resource: string; crossAccount: boolean };
  /** Every policy that took part, in evaluation order. */
  checked: { kind: PolicyKind; name: string }[];
  conditionMisses: ConditionMiss[];
}
