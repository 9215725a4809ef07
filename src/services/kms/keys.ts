import type { KeyGrant } from '../../policy/index.js';
import type { IdentityEntity, IdentityStore } from '../../storage/ports.js';
import { changeStoredDocument } from '../stored-documents.js';

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
  /** Key material by version, sealed under the root key, in version order; the last one encrypts. */
  versions: KeyVersion[];
  tags: Array<{ TagKey: string; TagValue: string }>;
  grants: Array<KeyGrant & { name?: string; granteeName: string; retiringPrincipal?: string; issuingAccount: string; createdAt: number; grantToken: string }>;
}

/** One version of a key's material. Versions are never changed or removed while the key lives. */
export interface KeyVersion {
  version: number;
  sealed: string;
  createdAt: number;
  onDemand?: boolean;
}

/**
 * A version added by rotation is also stored on its own (kind `kms-key-version`, id
 * `<key id>#<version>`), written only if absent. The key document is rewritten whole by any change
 * (a tag, a grant), and a node that has not yet seen another node's rotation would otherwise write
 * the key back without the new version, losing the material that data keys were sealed under.
 */
export const KEY_VERSION_KIND = 'kms-key-version';
export const keyVersionId = (keyId: string, version: number) => `${keyId}#${version}`;
interface StoredKeyVersion extends KeyVersion {
  keyId: string;
  /** The key's ARN: the material is sealed bound to it (and the version). */
  keyArn: string;
}

/** Adds a version to a key unless it has one of that number. */
export function withVersion(key: KmsKey, version: KeyVersion): void {
  key.versions = mergeVersions(key.versions, [version]);
}

/** The union of version lists by number; for a number in both, `preferred`'s entry (the newer read). */
function mergeVersions(preferred: KeyVersion[], other: KeyVersion[]): KeyVersion[] {
  const byNumber = new Map<number, KeyVersion>();
  for (const v of other) byNumber.set(v.version, v);
  for (const v of preferred) byNumber.set(v.version, v);
  if (byNumber.size === preferred.length) return preferred;
  return [...byNumber.values()].sort((a, b) => a.version - b.version);
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
  /** Versions read before their key (entities come in any order). */
  private readonly looseVersions = new Map<string, KeyVersion[]>();

  constructor(private readonly store: IdentityStore) {}

  async load(): Promise<void> {
    this.keys.clear();
    this.aliases.clear();
    this.looseVersions.clear();
    for (const e of await this.store.listEntities()) this.absorb(e);
  }

  /** Takes in one stored entity (at load, or when another node changed it); ignores other kinds. */
  absorb(e: IdentityEntity): void {
    if (e.kind === 'kms-key') {
      const key = e.value as KmsKey;
      // Versions this node knows stay known, whatever a stale writer left out of the document.
      key.versions = mergeVersions(key.versions, [...(this.keys.get(e.id)?.versions ?? []), ...(this.looseVersions.get(e.id) ?? [])]);
      this.looseVersions.delete(e.id);
      this.keys.set(e.id, key);
    } else if (e.kind === KEY_VERSION_KIND) this.absorbVersion(e.value as StoredKeyVersion);
    else if (e.kind === 'kms-alias') this.aliases.set(e.id, e.value as KmsAlias);
    else if (e.kind === 'kms-owned-key') this.owned = e.value as string;
  }

  private absorbVersion(stored: StoredKeyVersion): void {
    const { keyId, keyArn: _arn, ...version } = stored;
    const key = this.keys.get(keyId);
    if (key) key.versions = mergeVersions(key.versions, [version]);
    else this.looseVersions.set(keyId, [...(this.looseVersions.get(keyId) ?? []), version]);
  }

  /** Drops an entity another node deleted. */
  forget(kind: string, id: string): void {
    if (kind === 'kms-key') {
      this.keys.delete(id);
      this.looseVersions.delete(id);
    } else if (kind === 'kms-alias') this.aliases.delete(id);
  }

  /**
   * Stores a new version unless another node stored one of that number first. Either way the
   * stored version joins the key in memory; the answer says whether it was this one.
   */
  async claimVersion(key: KmsKey, version: KeyVersion): Promise<boolean> {
    const stored = await this.store.putEntityIfAbsent({
      kind: KEY_VERSION_KIND,
      id: keyVersionId(key.keyId, version.version),
      accountId: key.accountId,
      value: { ...version, keyId: key.keyId, keyArn: key.arn } satisfies StoredKeyVersion,
    });
    this.absorbVersion(stored.value as StoredKeyVersion);
    return (stored.value as StoredKeyVersion).sealed === version.sealed;
  }

  /** Reads one stored version this node has not seen (another node's rotation); true if found. */
  async fetchVersion(keyId: string, version: number): Promise<boolean> {
    const stored = await this.store.getEntity(KEY_VERSION_KIND, keyVersionId(keyId, version));
    if (stored) this.absorbVersion(stored.value as StoredKeyVersion);
    return stored !== undefined;
  }

  /** Changes part of a key, here and in the store (see `changeStoredDocument`). */
  updateKey(key: KmsKey, change: (key: KmsKey) => void): Promise<void> {
    const doc = { kind: 'kms-key', id: key.keyId, current: key, absorb: (e: IdentityEntity) => this.absorb(e), saveWhole: () => this.saveKey(key) };
    return changeStoredDocument(this.store, doc, change);
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
    for (const v of key.versions) if (v.version > 1) await this.store.deleteEntity(KEY_VERSION_KIND, keyVersionId(key.keyId, v.version));
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
