import type { BootstrapResources } from '../resource-bootstrap.js';
import type { AccessKeyEntity, GroupEntity, ManagedPolicyEntity, RoleEntity, UserEntity } from './entities.js';
import { IdentityDirectory, newAwsId } from './identity-directory.js';
import { checkPolicyDocument } from './policy-documents.js';

/** The identity part of a bootstrap file: accounts with their users, roles, groups and policies. */
export interface BootstrapAccount extends Omit<BootstrapResources, 'id'> {
  id: string;
  rootAccessKeyId?: string;
  rootSecretAccessKey?: string;
  users?: Array<{
    name: string;
    path?: string;
    accessKeys?: Array<{ id: string; secret: string }>;
    policies?: Record<string, unknown>;
    attachedPolicies?: string[];
    groups?: string[];
  }>;
  groups?: Array<{ name: string; path?: string; policies?: Record<string, unknown>; attachedPolicies?: string[] }>;
  roles?: Array<{
    name: string;
    path?: string;
    trustPolicy: unknown;
    maxSessionDuration?: number;
    policies?: Record<string, unknown>;
    attachedPolicies?: string[];
  }>;
  policies?: Array<{ name: string; path?: string; document: unknown; description?: string }>;
}

const text = (doc: unknown): string => (typeof doc === 'string' ? doc : JSON.stringify(doc));

/** Validates a declared policy; a bad one stops the start with where it is and what is wrong. */
function checked(doc: unknown, kind: 'identity' | 'resource', where: string): string {
  try {
    return checkPolicyDocument(text(doc), kind);
  } catch (error) {
    const e = error as Error & { code?: string };
    throw new Error(`bootstrap: ${where}: ${e.code ? `${e.code}: ` : ''}${e.message}`);
  }
}

function inline(policies: Record<string, unknown> | undefined, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, doc] of Object.entries(policies ?? {})) out[name] = checked(doc, 'identity', `${where} policy ${name}`);
  return out;
}

/**
 * Applies a bootstrap file: creates what is missing and updates what is declared, so starting
 * twice with the same file changes nothing. Root keys are kept in memory only (they come from
 * the file every start).
 */
export async function applyBootstrap(dir: IdentityDirectory, accounts: BootstrapAccount[]): Promise<void> {
  const now = dir.clock.now();
  for (const account of accounts) {
    const accountId = account.id;
    if (!dir.accounts.has(accountId)) await dir.saveAccount({ accountId, createdAt: now });
    if (account.rootAccessKeyId && account.rootSecretAccessKey) {
      dir.keys.set(account.rootAccessKeyId, rootKey(accountId, account.rootAccessKeyId, account.rootSecretAccessKey, now));
    }
    for (const p of account.policies ?? []) {
      const path = p.path ?? '/';
      const arn = `arn:aws:iam::${accountId}:policy${path}${p.name}`;
      const existing = dir.policies.get(arn);
      const document = checked(p.document, 'identity', `account ${accountId} managed policy ${p.name}`);
      const policy: ManagedPolicyEntity = existing
        ? { ...existing, versions: existing.versions.map((v) => (v.versionId === existing.defaultVersionId ? { ...v, document } : v)) }
        : {
            accountId,
            name: p.name,
            policyId: newAwsId('ANPA'),
            path,
            arn,
            description: p.description,
            createdAt: now,
            updatedAt: now,
            defaultVersionId: 'v1',
            versions: [{ versionId: 'v1', document, createdAt: now }],
            nextVersion: 2,
          };
      await dir.savePolicy(policy);
    }
    for (const g of account.groups ?? []) {
      const path = g.path ?? '/';
      const existing = dir.group(accountId, g.name);
      const group: GroupEntity = {
        accountId,
        name: g.name,
        groupId: existing?.groupId ?? newAwsId('AGPA'),
        path,
        arn: `arn:aws:iam::${accountId}:group${path}${g.name}`,
        createdAt: existing?.createdAt ?? now,
        members: existing?.members ?? [],
        inlinePolicies: inline(g.policies, `account ${accountId} group ${g.name}`),
        attachedPolicies: g.attachedPolicies ?? [],
      };
      await dir.saveGroup(group);
    }
    for (const u of account.users ?? []) {
      const path = u.path ?? '/';
      const existing = dir.user(accountId, u.name);
      const user: UserEntity = {
        accountId,
        name: u.name,
        userId: existing?.userId ?? newAwsId('AIDA'),
        path,
        arn: `arn:aws:iam::${accountId}:user${path}${u.name}`,
        createdAt: existing?.createdAt ?? now,
        tags: existing?.tags ?? [],
        inlinePolicies: inline(u.policies, `account ${accountId} user ${u.name}`),
        attachedPolicies: u.attachedPolicies ?? [],
      };
      await dir.saveUser(user);
      for (const k of u.accessKeys ?? []) {
        const key: AccessKeyEntity = {
          accessKeyId: k.id,
          secretAccessKey: k.secret,
          accountId,
          userName: u.name,
          status: 'Active',
          createdAt: dir.keys.get(k.id)?.createdAt ?? now,
        };
        await dir.saveKey(key);
      }
      for (const groupName of u.groups ?? []) {
        const group = dir.group(accountId, groupName);
        if (!group) throw new Error(`bootstrap: user ${u.name} names unknown group ${groupName} in account ${accountId}`);
        if (!group.members.includes(u.name)) group.members.push(u.name);
        await dir.saveGroup(group);
      }
    }
    for (const r of account.roles ?? []) {
      const path = r.path ?? '/';
      const existing = dir.role(accountId, r.name);
      const role: RoleEntity = {
        accountId,
        name: r.name,
        roleId: existing?.roleId ?? newAwsId('AROA'),
        path,
        arn: `arn:aws:iam::${accountId}:role${path}${r.name}`,
        createdAt: existing?.createdAt ?? now,
        trustPolicy: checked(r.trustPolicy, 'resource', `account ${accountId} role ${r.name} trust policy`),
        maxSessionDurationSeconds: r.maxSessionDuration ?? 3600,
        tags: existing?.tags ?? [],
        inlinePolicies: inline(r.policies, `account ${accountId} role ${r.name}`),
        attachedPolicies: r.attachedPolicies ?? [],
      };
      await dir.saveRole(role);
    }
  }
}

export function rootKey(accountId: string, accessKeyId: string, secretAccessKey: string, now: number): AccessKeyEntity {
  return { accessKeyId, secretAccessKey, accountId, status: 'Active', createdAt: now };
}
