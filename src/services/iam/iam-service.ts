import type { Principal, Tag, UserEntity, RoleEntity, GroupEntity, ManagedPolicyEntity } from './entities.js';
import { iamErrors } from './errors.js';
import { IdentityDirectory, newAwsId, newSecret } from './identity-directory.js';
import { checkPolicyDocument } from './policy-documents.js';

/** Applies a change to a user, role or group (in memory and in the store; see IdentityDirectory). */
type OwnerUpdate = (change: (owner: { inlinePolicies: Record<string, string>; attachedPolicies: string[] }) => void) => Promise<void>;

/** Who calls IAM: the principal (already authorized for the action) and its account. */
export interface IamContext {
  principal: Principal;
}

const NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const PATH = /^\/([\x21-\x7e]*\/)?$/;
const MAX_KEYS_PER_USER = 2;

interface WireTag {
  key: string;
  value: string;
}

const paginate = <T>(items: T[], marker?: string, maxItems?: number) => {
  const start = marker ? Number(Buffer.from(marker, 'base64').toString('utf8')) || 0 : 0;
  const size = maxItems ?? 100;
  if (!Number.isInteger(size) || size < 1 || size > 1000) throw iamErrors.validationError('MaxItems must be between 1 and 1000.');
  const page = items.slice(start, start + size);
  const isTruncated = start + size < items.length;
  return { page, isTruncated, marker: isTruncated ? Buffer.from(String(start + size)).toString('base64') : undefined };
};

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function checkName(value: string | undefined, what: string, pattern = NAME): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw iamErrors.validationError(
      `1 validation error detected: Value '${value}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  return value;
}

function checkPath(path: string | undefined): string {
  const p = path ?? '/';
  if (!PATH.test(p) || p.length > 512) throw iamErrors.validationError(`The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`);
  return p;
}

const toTags = (tags: WireTag[] | undefined): Tag[] => (tags ?? []).map((t) => ({ key: t.key, value: t.value }));

/**
 * The IAM API subset sealq serves: users, access keys, roles, groups, inline and managed policies.
 * Entities live in the caller's account.
 */
export class IamService {
  constructor(private readonly dir: IdentityDirectory) {}

  private now(): number {
    return this.dir.clock.now();
  }

  private userOf(ctx: IamContext, name: string | undefined): UserEntity {
    // AWS: without UserName, user-scoped calls act on the calling IAM user.
    const userName = name ?? ctx.principal.userName;
    if (!userName) throw iamErrors.validationError('Must specify userName when calling with non-User credentials');
    const user = this.dir.user(ctx.principal.accountId, userName);
    if (!user) throw iamErrors.noSuchEntity(`The user with name ${userName} cannot be found.`);
    return user;
  }

  private roleOf(ctx: IamContext, name: string): RoleEntity {
    const role = this.dir.role(ctx.principal.accountId, name);
    if (!role) throw iamErrors.noSuchEntity(`The role with name ${name} cannot be found.`);
    return role;
  }

  private groupOf(ctx: IamContext, name: string): GroupEntity {
    const group = this.dir.group(ctx.principal.accountId, name);
    if (!group) throw iamErrors.noSuchEntity(`The group with name ${name} cannot be found.`);
    return group;
  }

  private policyOf(arn: string): ManagedPolicyEntity {
    const policy = this.dir.policies.get(arn);
    if (!policy) throw iamErrors.noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
    return policy;
  }

  // Users

  async createUser(ctx: IamContext, input: { path?: string; userName: string; tags?: WireTag[]; permissionsBoundary?: string }) {
    const name = checkName(input.userName, 'userName');
    const accountId = ctx.principal.accountId;
    if (this.dir.user(accountId, name)) throw iamErrors.entityAlreadyExists(`User with name ${name} already exists.`);
    const path = checkPath(input.path);
    const user: UserEntity = {
      accountId,
      name,
      userId: newAwsId('AIDA'),
      path,
      arn: `arn:aws:iam::${accountId}:user${path}${name}`,
      createdAt: this.now(),
      tags: toTags(input.tags),
      inlinePolicies: {},
      attachedPolicies: [],
      permissionsBoundary: input.permissionsBoundary,
    };
    await this.dir.saveUser(user);
    return { user: viewUser(user) };
  }

  async getUser(ctx: IamContext, input: { userName?: string }) {
    if (input.userName === undefined && ctx.principal.type === 'Account') {
      const id = ctx.principal.accountId;
      return { user: { path: '/', userName: id, userId: id, arn: ctx.principal.arn, createDate: this.dir.accounts.get(id)?.createdAt ?? 0 } };
    }
    return { user: viewUser(this.userOf(ctx, input.userName)) };
  }

  async listUsers(ctx: IamContext, input: { pathPrefix?: string; marker?: string; maxItems?: number }) {
    const users = [...this.dir.users.values()]
      .filter((u) => u.accountId === ctx.principal.accountId && u.path.startsWith(input.pathPrefix ?? '/'))
      .sort(byName);
    const { page, isTruncated, marker } = paginate(users, input.marker, input.maxItems);
    return { users: page.map(viewUser), isTruncated, marker };
  }

  async deleteUser(ctx: IamContext, input: { userName: string }) {
    const user = this.userOf(ctx, input.userName);
    const keys = [...this.dir.keys.values()].filter((k) => k.accountId === user.accountId && k.userName === user.name);
    if (keys.length > 0) throw iamErrors.deleteConflict('Cannot delete entity, must delete access keys first.');
    if (Object.keys(user.inlinePolicies).length > 0) throw iamErrors.deleteConflict('Cannot delete entity, must delete policies first.');
    if (user.attachedPolicies.length > 0) throw iamErrors.deleteConflict('Cannot delete entity, must detach all policies first.');
    for (const g of this.dir.groups.values()) {
      if (g.accountId === user.accountId && g.members.includes(user.name)) {
        throw iamErrors.deleteConflict('Cannot delete entity, must remove users from group first.');
      }
    }
    await this.dir.deleteUser(user);
  }

  // Access keys

  async createAccessKey(ctx: IamContext, input: { userName?: string }) {
    const user = this.userOf(ctx, input.userName);
    const existing = [...this.dir.keys.values()].filter((k) => k.accountId === user.accountId && k.userName === user.name);
    if (existing.length >= MAX_KEYS_PER_USER) {
      throw iamErrors.limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`);
    }
    const key = {
      accessKeyId: newAwsId('AKIA', 20),
      secretAccessKey: newSecret(),
      accountId: user.accountId,
      userName: user.name,
      status: 'Active' as const,
      createdAt: this.now(),
    };
    await this.dir.saveKey(key);
    return {
      accessKey: {
        userName: user.name,
        accessKeyId: key.accessKeyId,
        status: key.status,
        secretAccessKey: key.secretAccessKey,
        createDate: key.createdAt,
      },
    };
  }

  async listAccessKeys(ctx: IamContext, input: { userName?: string; marker?: string; maxItems?: number }) {
    const user = this.userOf(ctx, input.userName);
    const keys = [...this.dir.keys.values()]
      .filter((k) => k.accountId === user.accountId && k.userName === user.name)
      .sort((a, b) => a.createdAt - b.createdAt);
    const { page, isTruncated, marker } = paginate(keys, input.marker, input.maxItems);
    return {
      accessKeyMetadata: page.map((k) => ({ userName: k.userName, accessKeyId: k.accessKeyId, status: k.status, createDate: k.createdAt })),
      isTruncated,
      marker,
    };
  }

  private keyOf(ctx: IamContext, userName: string | undefined, accessKeyId: string) {
    const user = this.userOf(ctx, userName);
    const key = this.dir.keys.get(accessKeyId);
    if (!key || key.accountId !== user.accountId || key.userName !== user.name) {
      throw iamErrors.noSuchEntity(`The Access Key with id ${accessKeyId} cannot be found.`);
    }
    return key;
  }

  async updateAccessKey(ctx: IamContext, input: { userName?: string; accessKeyId: string; status: string }) {
    if (input.status !== 'Active' && input.status !== 'Inactive') {
      throw iamErrors.validationError(`Value '${input.status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`);
    }
    const key = this.keyOf(ctx, input.userName, input.accessKeyId);
    await this.dir.saveKey({ ...key, status: input.status });
  }

  async deleteAccessKey(ctx: IamContext, input: { userName?: string; accessKeyId: string }) {
    await this.dir.deleteKey(this.keyOf(ctx, input.userName, input.accessKeyId));
  }

  // Inline policies (users, roles, groups share the logic)

  private async putInline(update: OwnerUpdate, name: string, document: string) {
    checkName(name, 'policyName', POLICY_NAME);
    const checked = checkPolicyDocument(document, 'identity');
    await update((o) => {
      o.inlinePolicies = { ...o.inlinePolicies, [name]: checked };
    });
  }

  private getInline(owner: { inlinePolicies: Record<string, string> }, ownerName: string, name: string, what: string) {
    const doc = owner.inlinePolicies[name];
    if (doc === undefined) throw iamErrors.noSuchEntity(`The ${what} policy with name ${name} cannot be found.`);
    // AWS: IAM returns policy documents URL-encoded.
    return { policyName: name, policyDocument: encodeURIComponent(doc), ownerName };
  }

  private async deleteInline(owner: { inlinePolicies: Record<string, string> }, update: OwnerUpdate, name: string, what: string) {
    if (owner.inlinePolicies[name] === undefined) throw iamErrors.noSuchEntity(`The ${what} policy with name ${name} cannot be found.`);
    await update((o) => {
      o.inlinePolicies = Object.fromEntries(Object.entries(o.inlinePolicies).filter(([n]) => n !== name));
    });
  }

  async putUserPolicy(ctx: IamContext, input: { userName: string; policyName: string; policyDocument: string }) {
    const user = this.userOf(ctx, input.userName);
    await this.putInline((change) => this.dir.updateUser(user, change), input.policyName, input.policyDocument);
  }
  async getUserPolicy(ctx: IamContext, input: { userName: string; policyName: string }) {
    const user = this.userOf(ctx, input.userName);
    const { policyName, policyDocument } = this.getInline(user, user.name, input.policyName, 'user');
    return { userName: user.name, policyName, policyDocument };
  }
  async listUserPolicies(ctx: IamContext, input: { userName: string; marker?: string; maxItems?: number }) {
    const user = this.userOf(ctx, input.userName);
    const { page, isTruncated, marker } = paginate(Object.keys(user.inlinePolicies).sort(), input.marker, input.maxItems);
    return { policyNames: page, isTruncated, marker };
  }
  async deleteUserPolicy(ctx: IamContext, input: { userName: string; policyName: string }) {
    const user = this.userOf(ctx, input.userName);
    await this.deleteInline(user, (change) => this.dir.updateUser(user, change), input.policyName, 'user');
  }

  async putRolePolicy(ctx: IamContext, input: { roleName: string; policyName: string; policyDocument: string }) {
    const role = this.roleOf(ctx, input.roleName);
    await this.putInline((change) => this.dir.updateRole(role, change), input.policyName, input.policyDocument);
  }
  async getRolePolicy(ctx: IamContext, input: { roleName: string; policyName: string }) {
    const role = this.roleOf(ctx, input.roleName);
    const { policyName, policyDocument } = this.getInline(role, role.name, input.policyName, 'role');
    return { roleName: role.name, policyName, policyDocument };
  }
  async listRolePolicies(ctx: IamContext, input: { roleName: string; marker?: string; maxItems?: number }) {
    const role = this.roleOf(ctx, input.roleName);
    const { page, isTruncated, marker } = paginate(Object.keys(role.inlinePolicies).sort(), input.marker, input.maxItems);
    return { policyNames: page, isTruncated, marker };
  }
  async deleteRolePolicy(ctx: IamContext, input: { roleName: string; policyName: string }) {
    const role = this.roleOf(ctx, input.roleName);
    await this.deleteInline(role, (change) => this.dir.updateRole(role, change), input.policyName, 'role');
  }

  async putGroupPolicy(ctx: IamContext, input: { groupName: string; policyName: string; policyDocument: string }) {
    const group = this.groupOf(ctx, input.groupName);
    await this.putInline((change) => this.dir.updateGroup(group, change), input.policyName, input.policyDocument);
  }
  async getGroupPolicy(ctx: IamContext, input: { groupName: string; policyName: string }) {
    const group = this.groupOf(ctx, input.groupName);
    const { policyName, policyDocument } = this.getInline(group, group.name, input.policyName, 'group');
    return { groupName: group.name, policyName, policyDocument };
  }
  async listGroupPolicies(ctx: IamContext, input: { groupName: string; marker?: string; maxItems?: number }) {
    const group = this.groupOf(ctx, input.groupName);
    const { page, isTruncated, marker } = paginate(Object.keys(group.inlinePolicies).sort(), input.marker, input.maxItems);
    return { policyNames: page, isTruncated, marker };
  }
  async deleteGroupPolicy(ctx: IamContext, input: { groupName: string; policyName: string }) {
    const group = this.groupOf(ctx, input.groupName);
    await this.deleteInline(group, (change) => this.dir.updateGroup(group, change), input.policyName, 'group');
  }

  // Roles

  async createRole(
    ctx: IamContext,
    input: { path?: string; roleName: string; assumeRolePolicyDocument: string; description?: string; maxSessionDuration?: number; tags?: WireTag[] },
  ) {
    const name = checkName(input.roleName, 'roleName', ROLE_NAME);
    const accountId = ctx.principal.accountId;
    if (this.dir.role(accountId, name)) throw iamErrors.entityAlreadyExists(`Role with name ${name} already exists.`);
    const maxSession = input.maxSessionDuration ?? 3600;
    if (!Number.isInteger(maxSession) || maxSession < 3600 || maxSession > 43200) {
      throw iamErrors.validationError('MaxSessionDuration must be between 3600 and 43200 seconds.');
    }
    const path = checkPath(input.path);
    const role: RoleEntity = {
      accountId,
      name,
      roleId: newAwsId('AROA'),
      path,
      arn: `arn:aws:iam::${accountId}:role${path}${name}`,
      createdAt: this.now(),
      trustPolicy: checkPolicyDocument(input.assumeRolePolicyDocument, 'resource'),
      description: input.description,
      maxSessionDurationSeconds: maxSession,
      tags: toTags(input.tags),
      inlinePolicies: {},
      attachedPolicies: [],
    };
    await this.dir.saveRole(role);
    return { role: viewRole(role) };
  }

  async getRole(ctx: IamContext, input: { roleName: string }) {
    return { role: viewRole(this.roleOf(ctx, input.roleName)) };
  }

  async listRoles(ctx: IamContext, input: { pathPrefix?: string; marker?: string; maxItems?: number }) {
    const roles = [...this.dir.roles.values()]
      .filter((r) => r.accountId === ctx.principal.accountId && r.path.startsWith(input.pathPrefix ?? '/'))
      .sort(byName);
    const { page, isTruncated, marker } = paginate(roles, input.marker, input.maxItems);
    return { roles: page.map(viewRole), isTruncated, marker };
  }

  async updateAssumeRolePolicy(ctx: IamContext, input: { roleName: string; policyDocument: string }) {
    const role = this.roleOf(ctx, input.roleName);
    const trustPolicy = checkPolicyDocument(input.policyDocument, 'resource');
    await this.dir.updateRole(role, (r) => {
      r.trustPolicy = trustPolicy;
    });
  }

  async deleteRole(ctx: IamContext, input: { roleName: string }) {
    const role = this.roleOf(ctx, input.roleName);
    if (Object.keys(role.inlinePolicies).length > 0) throw iamErrors.deleteConflict('Cannot delete entity, must delete policies first.');
    if (role.attachedPolicies.length > 0) throw iamErrors.deleteConflict('Cannot delete entity, must detach all policies first.');
    await this.dir.deleteRole(role);
  }

  // Groups

  async createGroup(ctx: IamContext, input: { path?: string; groupName: string }) {
    const name = checkName(input.groupName, 'groupName', NAME);
    const accountId = ctx.principal.accountId;
    if (this.dir.group(accountId, name)) throw iamErrors.entityAlreadyExists(`Group with name ${name} already exists.`);
    const path = checkPath(input.path);
    const group: GroupEntity = {
      accountId,
      name,
      groupId: newAwsId('AGPA'),
      path,
      arn: `arn:aws:iam::${accountId}:group${path}${name}`,
      createdAt: this.now(),
      members: [],
      inlinePolicies: {},
      attachedPolicies: [],
    };
    await this.dir.saveGroup(group);
    return { group: viewGroup(group) };
  }

  async getGroup(ctx: IamContext, input: { groupName: string }) {
    const group = this.groupOf(ctx, input.groupName);
    const users = group.members
      .map((n) => this.dir.user(group.accountId, n))
      .filter((u): u is UserEntity => !!u)
      .map(viewUser);
    return { group: viewGroup(group), users, isTruncated: false };
  }

  async listGroups(ctx: IamContext, input: { pathPrefix?: string; marker?: string; maxItems?: number }) {
    const groups = [...this.dir.groups.values()]
      .filter((g) => g.accountId === ctx.principal.accountId && g.path.startsWith(input.pathPrefix ?? '/'))
      .sort(byName);
    const { page, isTruncated, marker } = paginate(groups, input.marker, input.maxItems);
    return { groups: page.map(viewGroup), isTruncated, marker };
  }

  async listGroupsForUser(ctx: IamContext, input: { userName: string }) {
    const user = this.userOf(ctx, input.userName);
    const groups = [...this.dir.groups.values()].filter((g) => g.accountId === user.accountId && g.members.includes(user.name));
    return { groups: groups.sort(byName).map(viewGroup), isTruncated: false };
  }

  async addUserToGroup(ctx: IamContext, input: { groupName: string; userName: string }) {
    const group = this.groupOf(ctx, input.groupName);
    const user = this.userOf(ctx, input.userName);
    await this.dir.updateGroup(group, (g) => {
      if (!g.members.includes(user.name)) g.members = [...g.members, user.name];
    });
  }

  async removeUserFromGroup(ctx: IamContext, input: { groupName: string; userName: string }) {
    const group = this.groupOf(ctx, input.groupName);
    const user = this.userOf(ctx, input.userName);
    await this.dir.updateGroup(group, (g) => {
      g.members = g.members.filter((m) => m !== user.name);
    });
  }

  async deleteGroup(ctx: IamContext, input: { groupName: string }) {
    const group = this.groupOf(ctx, input.groupName);
    if (group.members.length > 0) throw iamErrors.deleteConflict('Cannot delete entity, must remove users from group first.');
    if (Object.keys(group.inlinePolicies).length > 0) throw iamErrors.deleteConflict('Cannot delete entity, must delete policies first.');
    if (group.attachedPolicies.length > 0) throw iamErrors.deleteConflict('Cannot delete entity, must detach all policies first.');
    await this.dir.deleteGroup(group);
  }

  // Managed policies

  async createPolicy(ctx: IamContext, input: { policyName: string; path?: string; policyDocument: string; description?: string }) {
    const name = checkName(input.policyName, 'policyName', POLICY_NAME);
    const accountId = ctx.principal.accountId;
    const path = checkPath(input.path);
    const arn = `arn:aws:iam::${accountId}:policy${path}${name}`;
    if (this.dir.policies.has(arn)) throw iamErrors.entityAlreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
    const now = this.now();
    const policy: ManagedPolicyEntity = {
      accountId,
      name,
      policyId: newAwsId('ANPA'),
      path,
      arn,
      description: input.description,
      createdAt: now,
      updatedAt: now,
      defaultVersionId: 'v1',
      versions: [{ versionId: 'v1', document: checkPolicyDocument(input.policyDocument, 'identity'), createdAt: now }],
      nextVersion: 2,
    };
    await this.dir.savePolicy(policy);
    return { policy: this.viewPolicy(policy) };
  }

  async getPolicy(ctx: IamContext, input: { policyArn: string }) {
    return { policy: this.viewPolicy(this.policyOf(input.policyArn)) };
  }

  async getPolicyVersion(ctx: IamContext, input: { policyArn: string; versionId: string }) {
    const policy = this.policyOf(input.policyArn);
    const version = policy.versions.find((v) => v.versionId === input.versionId);
    if (!version) throw iamErrors.noSuchEntity(`Policy ${policy.arn} version ${input.versionId} does not exist or is not attachable.`);
    return {
      policyVersion: {
        document: encodeURIComponent(version.document),
        versionId: version.versionId,
        isDefaultVersion: version.versionId === policy.defaultVersionId,
        createDate: version.createdAt,
      },
    };
  }

  async createPolicyVersion(ctx: IamContext, input: { policyArn: string; policyDocument: string; setAsDefault?: boolean }) {
    const policy = this.policyOf(input.policyArn);
    if (policy.versions.length >= 5) throw iamErrors.limitExceeded('A managed policy can have up to 5 versions.');
    const document = checkPolicyDocument(input.policyDocument, 'identity');
    const now = this.now();
    // The number comes from the stored copy (the change runs on it last): two nodes adding a
    // version at once get different numbers.
    let versionId = '';
    let isDefaultVersion = false;
    await this.dir.updatePolicy(policy, (p) => {
      versionId = `v${p.nextVersion}`;
      p.nextVersion += 1;
      p.versions = [...p.versions, { versionId, document, createdAt: now }];
      if (input.setAsDefault) p.defaultVersionId = versionId;
      p.updatedAt = now;
      isDefaultVersion = p.defaultVersionId === versionId;
    });
    return { policyVersion: { versionId, isDefaultVersion, createDate: now } };
  }

  async listPolicies(ctx: IamContext, input: { scope?: string; onlyAttached?: boolean; pathPrefix?: string; marker?: string; maxItems?: number }) {
    const policies = [...this.dir.policies.values()]
      .filter((p) => p.accountId === ctx.principal.accountId && p.path.startsWith(input.pathPrefix ?? '/'))
      .filter((p) => input.scope !== 'AWS')
      .filter((p) => !input.onlyAttached || this.attachmentCount(p.arn) > 0)
      .sort(byName);
    const { page, isTruncated, marker } = paginate(policies, input.marker, input.maxItems);
    return { policies: page.map((p) => this.viewPolicy(p)), isTruncated, marker };
  }

  async deletePolicy(ctx: IamContext, input: { policyArn: string }) {
    const policy = this.policyOf(input.policyArn);
    if (this.attachmentCount(policy.arn) > 0) throw iamErrors.deleteConflict('Cannot delete a policy attached to entities.');
    await this.dir.deletePolicy(policy);
  }

  private attachmentCount(arn: string): number {
    let n = 0;
    for (const map of [this.dir.users, this.dir.roles, this.dir.groups]) {
      for (const e of map.values()) if (e.attachedPolicies.includes(arn)) n++;
    }
    return n;
  }

  private viewPolicy(p: ManagedPolicyEntity) {
    return {
      policyName: p.name,
      policyId: p.policyId,
      arn: p.arn,
      path: p.path,
      defaultVersionId: p.defaultVersionId,
      attachmentCount: this.attachmentCount(p.arn),
      isAttachable: true,
      description: p.description,
      createDate: p.createdAt,
      updateDate: p.updatedAt,
    };
  }

  private async attach(update: OwnerUpdate, arn: string) {
    this.policyOf(arn);
    await update((o) => {
      if (!o.attachedPolicies.includes(arn)) o.attachedPolicies = [...o.attachedPolicies, arn];
    });
  }

  private async detach(owner: { attachedPolicies: string[] }, update: OwnerUpdate, arn: string) {
    if (!owner.attachedPolicies.includes(arn)) throw iamErrors.noSuchEntity(`Policy ${arn} was not found.`);
    await update((o) => {
      o.attachedPolicies = o.attachedPolicies.filter((a) => a !== arn);
    });
  }

  private listAttached(owner: { attachedPolicies: string[] }, input: { marker?: string; maxItems?: number }) {
    const attached = owner.attachedPolicies
      .map((arn) => this.dir.policies.get(arn))
      .filter((p): p is ManagedPolicyEntity => !!p)
      .map((p) => ({ policyName: p.name, policyArn: p.arn }));
    const { page, isTruncated, marker } = paginate(attached, input.marker, input.maxItems);
    return { attachedPolicies: page, isTruncated, marker };
  }

  async attachUserPolicy(ctx: IamContext, input: { userName: string; policyArn: string }) {
    const user = this.userOf(ctx, input.userName);
    await this.attach((change) => this.dir.updateUser(user, change), input.policyArn);
  }
  async detachUserPolicy(ctx: IamContext, input: { userName: string; policyArn: string }) {
    const user = this.userOf(ctx, input.userName);
    await this.detach(user, (change) => this.dir.updateUser(user, change), input.policyArn);
  }
  async listAttachedUserPolicies(ctx: IamContext, input: { userName: string; marker?: string; maxItems?: number }) {
    return this.listAttached(this.userOf(ctx, input.userName), input);
  }
  async attachRolePolicy(ctx: IamContext, input: { roleName: string; policyArn: string }) {
    const role = this.roleOf(ctx, input.roleName);
    await this.attach((change) => this.dir.updateRole(role, change), input.policyArn);
  }
  async detachRolePolicy(ctx: IamContext, input: { roleName: string; policyArn: string }) {
    const role = this.roleOf(ctx, input.roleName);
    await this.detach(role, (change) => this.dir.updateRole(role, change), input.policyArn);
  }
  async listAttachedRolePolicies(ctx: IamContext, input: { roleName: string; marker?: string; maxItems?: number }) {
    return this.listAttached(this.roleOf(ctx, input.roleName), input);
  }
  async attachGroupPolicy(ctx: IamContext, input: { groupName: string; policyArn: string }) {
    const group = this.groupOf(ctx, input.groupName);
    await this.attach((change) => this.dir.updateGroup(group, change), input.policyArn);
  }
  async detachGroupPolicy(ctx: IamContext, input: { groupName: string; policyArn: string }) {
    const group = this.groupOf(ctx, input.groupName);
    await this.detach(group, (change) => this.dir.updateGroup(group, change), input.policyArn);
  }
  async listAttachedGroupPolicies(ctx: IamContext, input: { groupName: string; marker?: string; maxItems?: number }) {
    return this.listAttached(this.groupOf(ctx, input.groupName), input);
  }
}

/** The IAM actions this service implements; the model's other actions answer NotImplemented. */
export const implementedIamActions: ReadonlySet<string> = new Set([
  'CreateUser', 'GetUser', 'ListUsers', 'DeleteUser',
  'CreateAccessKey', 'ListAccessKeys', 'UpdateAccessKey', 'DeleteAccessKey',
  'PutUserPolicy', 'GetUserPolicy', 'ListUserPolicies', 'DeleteUserPolicy',
  'PutRolePolicy', 'GetRolePolicy', 'ListRolePolicies', 'DeleteRolePolicy',
  'PutGroupPolicy', 'GetGroupPolicy', 'ListGroupPolicies', 'DeleteGroupPolicy',
  'CreateRole', 'GetRole', 'ListRoles', 'UpdateAssumeRolePolicy', 'DeleteRole',
  'CreateGroup', 'GetGroup', 'ListGroups', 'ListGroupsForUser', 'AddUserToGroup', 'RemoveUserFromGroup', 'DeleteGroup',
  'CreatePolicy', 'GetPolicy', 'GetPolicyVersion', 'CreatePolicyVersion', 'ListPolicies', 'DeletePolicy',
  'AttachUserPolicy', 'DetachUserPolicy', 'ListAttachedUserPolicies',
  'AttachRolePolicy', 'DetachRolePolicy', 'ListAttachedRolePolicies',
  'AttachGroupPolicy', 'DetachGroupPolicy', 'ListAttachedGroupPolicies',
]);

function viewUser(u: UserEntity) {
  return {
    path: u.path,
    userName: u.name,
    userId: u.userId,
    arn: u.arn,
    createDate: u.createdAt,
    tags: u.tags.length ? u.tags : undefined,
    permissionsBoundary: u.permissionsBoundary
      ? { permissionsBoundaryType: 'Policy', permissionsBoundaryArn: u.permissionsBoundary }
      : undefined,
  };
}

function viewRole(r: RoleEntity) {
  return {
    path: r.path,
    roleName: r.name,
    roleId: r.roleId,
    arn: r.arn,
    createDate: r.createdAt,
    assumeRolePolicyDocument: encodeURIComponent(r.trustPolicy),
    description: r.description,
    maxSessionDuration: r.maxSessionDurationSeconds,
    tags: r.tags.length ? r.tags : undefined,
  };
}

function viewGroup(g: GroupEntity) {
  return { path: g.path, groupName: g.name, groupId: g.groupId, arn: g.arn, createDate: g.createdAt };
}
