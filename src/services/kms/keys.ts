import type { KeyGrant } from '../../policy/index.js';
import type { IdentityEntity, IdentityStore } from '../../storage/ports.js';

/** A KMS key as sealq keeps it. Times are epoch milliseconds. */
export interface KmsKey {
  keyId: string;
  arn: string;
  accountId: string;
  description: string;
  keyState: 'Enabled' | 'Disabled' | 'PendingDeletion';
  keyManager: 'CUSTOMER' | 'AWS';
  createdAt: number;
  deletionDate?: number;
  pendingWindowInDays?: number;
  policy: string;
  rotation: { enabled: boolean; periodDays: number; nextRotationAt?: number };
  /** Key material by version, sealed under the root key; the last one encrypts. */
  versions: Array<{ version: number; sealed: string; createdAt: number; onDemand?: boolean }>;
  tags: Array<{ TagKey: string; TagValue: string }>;
  grants: Array<KeyGrant & { name?: string; granteeName: string; retiringPrincipal?: string; issuingAccount: string; createdAt: number; grantToken: string }>;
}

export interface KmsAlias {
  /** `alias/...` */
  name: string;
  arn: string;
  accountId: string;
  targetKeyId: string;
  createdAt: number;
  updatedAt: number;
}

/** Keys and aliases in memory, written through to the entity store (kinds `kms-key`, `kms-alias`). */
export class KeyDirectory {
  readonly keys = new Map<string, KmsKey>();
  readonly aliases = new Map<string, KmsAlias>();
  /** The sealed material of the SSE-SQS owned key, once made. */
  owned: string | undefined;

  constructor(private readonly store: IdentityStore) {}

  async load(): Promise<void> {
    this.keys.clear();
    this.aliases.clear();
    for (const e of await this.store.listEntities()) this.absorb(e);
  }

  /** Takes in one stored entity (at load, or when another node changed it); ignores other kinds. */
  absorb(e: IdentityEntity): void {
    if (e.kind === 'kms-key') this.keys.set(e.id, e.value as KmsKey);
    else if (e.kind === 'kms-alias') this.aliases.set(e.id, e.value as KmsAlias);
    else if (e.kind === 'kms-owned-key') this.owned = e.value as string;
  }

  /** Drops an entity another node deleted. */
  forget(kind: string, id: string): void {
    if (kind === 'kms-key') this.keys.delete(id);
    else if (kind === 'kms-alias') this.aliases.delete(id);
  }

  async saveKey(key: KmsKey): Promise<void> {
    this.keys.set(key.keyId, key);
    await this.store.putEntity({ kind: 'kms-key', id: key.keyId, accountId: key.accountId, value: key });
  }

  /** Stores the SSE-SQS key unless another node stored one first; keeps whichever is stored. */
  async saveOwnedIfAbsent(sealed: string): Promise<void> {
    const stored = await this.store.putEntityIfAbsent({ kind: 'kms-owned-key', id: 'sqs', accountId: '', value: sealed });
    this.owned = stored.value as string;
  }

  async deleteKey(key: KmsKey): Promise<void> {
    this.keys.delete(key.keyId);
    await this.store.deleteEntity('kms-key', key.keyId);
  }

  /** Stores the alias unless another node stored one of that name first; keeps whichever is stored. */
  async saveAliasIfAbsent(alias: KmsAlias): Promise<KmsAlias> {
    const stored = await this.store.putEntityIfAbsent({ kind: 'kms-alias', id: alias.arn, accountId: alias.accountId, value: alias });
    const winner = stored.value as KmsAlias;
    this.aliases.set(winner.arn, winner);
    return winner;
  }

  async saveAlias(alias: KmsAlias): Promise<void> {
    this.aliases.set(alias.arn, alias);
    await this.store.putEntity({ kind: 'kms-alias', id: alias.arn, accountId: alias.accountId, value: alias });
  }

  async deleteAlias(alias: KmsAlias): Promise<void> {
    this.aliases.delete(alias.arn);
    await this.store.deleteEntity('kms-alias', alias.arn);
  }

  aliasesOf(key: KmsKey): KmsAlias[] {
    return [...this.aliases.values()].filter((a) => a.targetKeyId === key.keyId);
  }
}
