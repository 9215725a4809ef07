import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { IdentityEntity, IdentityStore } from '../../storage/ports.js';
import { changeStoredDocument } from '../stored-documents.js';
import type {
  AccessKeyEntity,
  AccountEntity,
  GroupEntity,
  ManagedPolicyEntity,
  Principal,
  RoleEntity,
  SessionEntity,
  UserEntity,
} from './entities.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** AWS-style unique ids: a four-letter prefix (AIDA user, AROA role, AKIA key…) and 16 more. */
export function newAwsId(prefix: string, length = 21): string {
  const bytes = randomBytes(length - prefix.length);
  let out = prefix;
  for (const b of bytes) out += ID_ALPHABET[b % 32];
  return out;
}

export const newSecret = (): string => randomBytes(30).toString('base64').replace(/[+/]/g, (c) => (c === '+' ? 'A' : 'z'));

/** Seals a secret for storage, bound to the access key id it belongs to, and opens it again. */
export interface SecretSealer {
  seal(secret: string, accessKeyId: string): string;
  open(sealed: string, accessKeyId: string): string;
}

type Kind = 'account' | 'user' | 'role' | 'group' | 'policy' | 'key' | 'session';
const keyOf = (accountId: string, name: string) => `${accountId}/${name}`;

/**
 * Every identity entity, in memory and written through to the store. Authorization reads only
 * from here, so no request pays a storage round trip to learn who its caller is.
 */
export class IdentityDirectory {
  readonly accounts = new Map<string, AccountEntity>();
  readonly users = new Map<string, UserEntity>();
  readonly roles = new Map<string, RoleEntity>();
  readonly groups = new Map<string, GroupEntity>();
  readonly policies = new Map<string, ManagedPolicyEntity>();
  readonly keys = new Map<string, AccessKeyEntity>();
  readonly sessions = new Map<string, SessionEntity>();

  constructor(
    private readonly store: IdentityStore,
    readonly clock: Clock,
    /** Seals secret access keys (and session secrets) at rest; identity when absent (tests). */
    private readonly secrets: SecretSealer = { seal: (t) => t, open: (t) => t },
  ) {}

  async load(): Promise<void> {
    for (const map of [this.accounts, this.users, this.roles, this.groups, this.policies, this.keys, this.sessions]) map.clear();
    for (const e of await this.store.listEntities()) this.absorb(e);
  }

  private mapOf(kind: string): Map<string, unknown> | undefined {
    const maps: Record<Kind, Map<string, unknown>> = {
      account: this.accounts,
      user: this.users,
      role: this.roles,
      group: this.groups,
      policy: this.policies,
      key: this.keys,
      session: this.sessions,
    };
    return Object.hasOwn(maps, kind) ? maps[kind as Kind] : undefined;
  }

  /** Takes in one stored entity (at load, or when another node changed it); ignores other kinds. */
  absorb(e: IdentityEntity): void {
    const map = this.mapOf(e.kind);
    if (!map) return;
    if (e.kind === 'key' || e.kind === 'session') {
      const sealed = e.value as AccessKeyEntity | SessionEntity;
      map.set(e.id, { ...sealed, secretAccessKey: this.secrets.open(sealed.secretAccessKey, e.id) });
    } else {
      map.set(e.id, e.value);
    }
  }

  /** Drops an entity another node deleted. */
  forget(kind: string, id: string): void {
    this.mapOf(kind)?.delete(id);
  }

  // Writes: memory first (so the next request sees it), then the store.

  async saveAccount(a: AccountEntity): Promise<void> {
    this.accounts.set(a.accountId, a);
    await this.store.putEntity({ kind: 'account', id: a.accountId, accountId: a.accountId, value: a });
  }

  async saveUser(u: UserEntity): Promise<void> {
    this.users.set(keyOf(u.accountId, u.name), u);
    await this.store.putEntity({ kind: 'user', id: keyOf(u.accountId, u.name), accountId: u.accountId, value: u });
  }

  async deleteUser(u: UserEntity): Promise<void> {
    this.users.delete(keyOf(u.accountId, u.name));
    await this.store.deleteEntity('user', keyOf(u.accountId, u.name));
  }

  async saveRole(r: RoleEntity): Promise<void> {
    this.roles.set(keyOf(r.accountId, r.name), r);
    await this.store.putEntity({ kind: 'role', id: keyOf(r.accountId, r.name), accountId: r.accountId, value: r });
  }

  async deleteRole(r: RoleEntity): Promise<void> {
    this.roles.delete(keyOf(r.accountId, r.name));
    await this.store.deleteEntity('role', keyOf(r.accountId, r.name));
  }

  async saveGroup(g: GroupEntity): Promise<void> {
    this.groups.set(keyOf(g.accountId, g.name), g);
    await this.store.putEntity({ kind: 'group', id: keyOf(g.accountId, g.name), accountId: g.accountId, value: g });
  }

  async deleteGroup(g: GroupEntity): Promise<void> {
    this.groups.delete(keyOf(g.accountId, g.name));
    await this.store.deleteEntity('group', keyOf(g.accountId, g.name));
  }

  async savePolicy(p: ManagedPolicyEntity): Promise<void> {
    this.policies.set(p.arn, p);
    await this.store.putEntity({ kind: 'policy', id: p.arn, accountId: p.accountId, value: p });
  }

  /** Changes part of a document, here and in the store (see `changeStoredDocument`). */
  private update<T>(kind: Kind, id: string, current: T, change: (doc: T) => void, saveWhole: () => Promise<void>): Promise<void> {
    return changeStoredDocument(this.store, { kind, id, current, absorb: (e) => this.absorb(e), saveWhole }, change);
  }

  updateUser(u: UserEntity, change: (u: UserEntity) => void): Promise<void> {
    return this.update('user', keyOf(u.accountId, u.name), u, change, () => this.saveUser(u));
  }

  updateRole(r: RoleEntity, change: (r: RoleEntity) => void): Promise<void> {
    return this.update('role', keyOf(r.accountId, r.name), r, change, () => this.saveRole(r));
  }

  updateGroup(g: GroupEntity, change: (g: GroupEntity) => void): Promise<void> {
    return this.update('group', keyOf(g.accountId, g.name), g, change, () => this.saveGroup(g));
  }

  updatePolicy(p: ManagedPolicyEntity, change: (p: ManagedPolicyEntity) => void): Promise<void> {
    return this.update('policy', p.arn, p, change, () => this.savePolicy(p));
  }

  async deletePolicy(p: ManagedPolicyEntity): Promise<void> {
    this.policies.delete(p.arn);
    await this.store.deleteEntity('policy', p.arn);
  }

  async saveKey(k: AccessKeyEntity): Promise<void> {
    this.keys.set(k.accessKeyId, k);
    const stored = { ...k, secretAccessKey: this.secrets.seal(k.secretAccessKey, k.accessKeyId) };
    await this.store.putEntity({ kind: 'key', id: k.accessKeyId, accountId: k.accountId, value: stored });
  }

  async deleteKey(k: AccessKeyEntity): Promise<void> {
    this.keys.delete(k.accessKeyId);
    await this.store.deleteEntity('key', k.accessKeyId);
  }

  async saveSession(s: SessionEntity): Promise<void> {
    this.sessions.set(s.accessKeyId, s);
    const stored = { ...s, secretAccessKey: this.secrets.seal(s.secretAccessKey, s.accessKeyId) };
    await this.store.putEntity({ kind: 'session', id: s.accessKeyId, accountId: s.accountId, value: stored });
  }

  // Reads

  user(accountId: string, name: string): UserEntity | undefined {
    return this.users.get(keyOf(accountId, name));
  }

  role(accountId: string, name: string): RoleEntity | undefined {
    return this.roles.get(keyOf(accountId, name));
  }

  group(accountId: string, name: string): GroupEntity | undefined {
    return this.groups.get(keyOf(accountId, name));
  }

  /** Credentials for SigV4 verification: long-term keys and live sessions. */
  credentials(accessKeyId: string): { secretAccessKey: string; sessionToken?: string; expiresAt?: number } | undefined {
    const key = this.keys.get(accessKeyId);
    if (key) return key.status === 'Active' ? { secretAccessKey: key.secretAccessKey } : undefined;
    const session = this.sessions.get(accessKeyId);
    if (session) {
      return { secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken, expiresAt: session.expiresAt };
    }
    return undefined;
  }

  /** The principal behind an access key, or undefined when the key is unknown or its user gone. */
  principalFor(accessKeyId: string): Principal | undefined {
    const key = this.keys.get(accessKeyId);
    if (key) {
      if (key.userName === undefined) return rootPrincipal(key.accountId, accessKeyId);
      const user = this.user(key.accountId, key.userName);
      return user && userPrincipal(user, accessKeyId);
    }
    const session = this.sessions.get(accessKeyId);
    if (session) {
      return {
        type: 'AssumedRole',
        accountId: session.accountId,
        arn: `arn:aws:sts::${session.accountId}:assumed-role/${session.roleName}/${session.sessionName}`,
        principalArn: session.roleArn,
        userId: `${session.roleId}:${session.sessionName}`,
        roleName: session.roleName,
        sessionName: session.sessionName,
        sessionPolicy: session.sessionPolicy,
        accessKeyId,
        requesterId: `role:${session.roleId}#${session.sessionPolicy ?? ''}`,
      };
    }
    return undefined;
  }

  /** Identity-based policy documents that apply to a principal, named for decision traces. */
  identityPolicies(principal: Principal): Array<{ name: string; document: string }> {
    const out: Array<{ name: string; document: string }> = [];
    const addAttached = (arns: string[]) => {
      for (const arn of arns) {
        const p = this.policies.get(arn);
        const v = p?.versions.find((x) => x.versionId === p.defaultVersionId);
        if (p && v) out.push({ name: arn, document: v.document });
      }
    };
    if (principal.type === 'User' && principal.userName) {
      const user = this.user(principal.accountId, principal.userName);
      if (!user) return out;
      for (const [name, doc] of Object.entries(user.inlinePolicies)) out.push({ name: `${user.arn} inline ${name}`, document: doc });
      addAttached(user.attachedPolicies);
      for (const group of this.groups.values()) {
        if (group.accountId !== user.accountId || !group.members.includes(user.name)) continue;
        for (const [name, doc] of Object.entries(group.inlinePolicies)) out.push({ name: `${group.arn} inline ${name}`, document: doc });
        addAttached(group.attachedPolicies);
      }
    } else if (principal.type === 'AssumedRole' && principal.roleName) {
      const role = this.role(principal.accountId, principal.roleName);
      if (!role) return out;
      for (const [name, doc] of Object.entries(role.inlinePolicies)) out.push({ name: `${role.arn} inline ${name}`, document: doc });
      addAttached(role.attachedPolicies);
    }
    return out;
  }
}

export function rootPrincipal(accountId: string, accessKeyId?: string): Principal {
  return {
    type: 'Account',
    accountId,
    arn: `arn:aws:iam::${accountId}:root`,
    principalArn: `arn:aws:iam::${accountId}:root`,
    userId: accountId,
    accessKeyId,
    requesterId: `account:${accountId}`,
  };
}

export function userPrincipal(user: UserEntity, accessKeyId?: string): Principal {
  return {
    type: 'User',
    accountId: user.accountId,
    arn: user.arn,
    principalArn: user.arn,
    userId: user.userId,
    userName: user.name,
    accessKeyId,
    requesterId: `user:${user.userId}`,
  };
}
