import { parseArn } from '../../shared/arn.js';
import type { Principal, SessionEntity } from '../iam/entities.js';
import { iamErrors, iamErrorSpecs } from '../iam/errors.js';
import { IdentityDirectory, newAwsId, newSecret } from '../iam/identity-directory.js';
import { checkPolicyDocument } from '../iam/policy-documents.js';
import { AwsError } from '../../shared/aws-error.js';
import type { Authorizer } from '../authz/authorizer.js';

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const MAX_SESSION_POLICY_CHARS = 2048;

/** STS: who am I, and temporary credentials for roles. */
export class StsService {
  constructor(
    private readonly dir: IdentityDirectory,
    private readonly authorizer: Authorizer,
  ) {}

  async getCallerIdentity(ctx: { principal: Principal }) {
    return { userId: ctx.principal.userId, account: ctx.principal.accountId, arn: ctx.principal.arn };
  }

  async assumeRole(
    ctx: { principal: Principal; sourceIp?: string; secure: boolean },
    input: { roleArn: string; roleSessionName: string; policy?: string; durationSeconds?: number; externalId?: string },
  ) {
    // AWS refuses root credentials outright, whatever the trust policy says.
    if (ctx.principal.type === 'Account') throw iamErrors.accessDenied('Roles may not be assumed by root accounts.');
    const arn = parseArn(input.roleArn ?? '');
    const roleName = arn?.resource.startsWith('role/') ? arn.resource.split('/').pop()! : undefined;
    const role = arn && roleName ? this.dir.role(arn.accountId, roleName) : undefined;
    if (typeof input.roleSessionName !== 'string' || !SESSION_NAME.test(input.roleSessionName)) {
      throw iamErrors.validationError(
        `1 validation error detected: Value '${input.roleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    const deny = (trace: string[] = []) => {
      const error = iamErrors.accessDenied(
        `User: ${ctx.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.roleArn}`,
      );
      error.trace = trace;
      return error;
    };
    if (!role) throw deny([`no role ${input.roleArn}`]);
    const decision = this.authorizer.authorize({
      principal: ctx.principal,
      action: 'sts:AssumeRole',
      resource: role.arn,
      resourceAccountId: role.accountId,
      resourcePolicy: { name: `${role.arn} trust policy`, document: role.trustPolicy },
      context: { 'sts:ExternalId': input.externalId, 'sts:RoleSessionName': input.roleSessionName },
      secure: ctx.secure,
      sourceIp: ctx.sourceIp,
    });
    if (decision.decision !== 'Allow') throw deny(decision.explanation);
    // AWS: a role trust policy must allow the caller itself; an identity policy allowing
    // sts:AssumeRole is not enough on its own (nor is being the account's root user).
    if (!decision.resourcePolicyAllowed) {
      throw deny([...decision.explanation, `the trust policy of ${role.arn} does not allow this caller`]);
    }

    const duration = input.durationSeconds ?? 3600;
    if (!Number.isInteger(duration) || duration < 900 || duration > role.maxSessionDurationSeconds) {
      throw iamErrors.validationError(
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
      );
    }
    let sessionPolicy: string | undefined;
    if (input.policy !== undefined) {
      if (input.policy.replace(/\s/g, '').length > MAX_SESSION_POLICY_CHARS) {
        throw new AwsError(iamErrorSpecs.PackedPolicyTooLarge, 'Packed policy consumes more than 100 percent of the allotted space.');
      }
      sessionPolicy = checkPolicyDocument(input.policy, 'identity');
    }
    const now = this.dir.clock.now();
    const session: SessionEntity = {
      accessKeyId: newAwsId('ASIA', 20),
      secretAccessKey: newSecret(),
      sessionToken: Buffer.from(newSecret() + newSecret() + newSecret()).toString('base64'),
      accountId: role.accountId,
      roleName: role.name,
      roleArn: role.arn,
      roleId: role.roleId,
      sessionName: input.roleSessionName,
      sessionPolicy,
      expiresAt: now + duration * 1000,
    };
    await this.dir.saveSession(session);
    return {
      credentials: {
        accessKeyId: session.accessKeyId,
        secretAccessKey: session.secretAccessKey,
        sessionToken: session.sessionToken,
        expiration: session.expiresAt,
      },
      assumedRoleUser: {
        assumedRoleId: `${role.roleId}:${session.sessionName}`,
        arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${session.sessionName}`,
      },
      packedPolicySize: sessionPolicy ? Math.ceil((sessionPolicy.replace(/\s/g, '').length / MAX_SESSION_POLICY_CHARS) * 100) : undefined,
    };
  }
}
