import { randomBytes, randomUUID } from 'node:crypto';
import { parseArn } from '../../shared/arn.js';
import type { Clock } from '../../shared/clock.js';
import { PolicyError, parsePolicy } from '../../policy/index.js';
import type { Principal } from '../iam/entities.js';
import { blobKey, decryptBlob, derivedKeyMaterial, encryptBlob, newKeyMaterial, sealMaterial, unsealMaterial } from './crypto.js';
import { kmsError } from './errors.js';
import type { KeyAuthorizer } from './key-access.js';
import { withVersion, type KeyDirectory, type KeyVersion, type KmsAlias, type KmsKey } from './keys.js';
import { awsManagedPolicy, defaultKeyPolicy, type ManagedKeyService } from './policies.js';

/** Who calls KMS, and through which service (kms:ViaService) when SQS calls on their behalf. */
export interface KmsContext {
  principal: Principal;
  secure: boolean;
  sourceIp?: string;
  viaService?: string;
}

/** One metered KMS call, shaped like a CloudTrail event. */
export interface KmsCallRecord {
  time: number;
  operation: string;
  keyArn?: string;
  principal: string;
  invokedBy?: string;
  encryptionContext?: Record<string, string>;
  errorCode?: string;
}

/** The blob key id of the SSE-SQS owned key (never a customer key id). */
export const OWNED_KEY_ID = '00000000-0000-0000-0000-000000000000';

const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const MAX_POLICY_BYTES = 32 * 1024;
const DAY = 86_400_000;

const OWNED_KEY_ARN = 'arn:sealq:sqs-owned-key';
const MANAGED_ALIASES = new Map<string, ManagedKeyService>([
  ['alias/aws/sqs', 'sqs'],
  ['alias/aws/sns', 'sns'],
]);
const MANAGED_DESCRIPTIONS: Record<ManagedKeyService, string> = {
  sqs: 'Default key that protects my SQS messages when no other key is defined',
  sns: 'Default key that protects my SNS topics when no other key is defined',
};

/**
 * The KMS API: symmetric keys with policies, aliases, rotation, deletion, grants and tags, and the
 * cryptographic operations. Key material never leaves this class unsealed except as data keys.
 */
export class KmsService {
  private readonly material = new Map<string, Buffer>();
  readonly calls: KmsCallRecord[] = [];
  /** Called for every KMS call, for metering and the audit log. */
  onCall: (record: KmsCallRecord) => void = () => undefined;
  /** The metered call under way (metered operations run synchronously), so a resolved key is named even if the call then fails. */
  private recording: KmsCallRecord | undefined;
  /** Requests per second the quota allows (0: unlimited), and the token bucket enforcing it. */
  requestsPerSecond = 0;
  private tokens = 0;
  private refilledAt = 0;

  constructor(
    private readonly keys: KeyDirectory,
    private readonly authorizer: KeyAuthorizer,
    private readonly rootKey: Buffer,
    private readonly clock: Clock,
    private readonly region: string,
  ) {}

  // SSE-SQS: a key sealq owns, invisible to the KMS API and needing no permission.

  private ownedMaterial: Buffer | undefined;

  /**
   * Makes the SSE-SQS key before the first request, stored before any message can depend on it.
   * Nodes starting together on one database may each make one: the first stored wins, and
   * every node uses that one.
   */
  async prepareOwnedKey(): Promise<void> {
    if (this.keys.owned) return;
    await this.keys.saveOwnedIfAbsent(sealMaterial(this.rootKey, newKeyMaterial(), OWNED_KEY_ARN, 1));
  }

  private owned(): Buffer {
    if (!this.ownedMaterial) {
      if (!this.keys.owned) throw new Error('the SSE-SQS key was not prepared at start');
      this.ownedMaterial = unsealMaterial(this.rootKey, this.keys.owned, OWNED_KEY_ARN, 1);
    }
    return this.ownedMaterial;
  }

  /** A data key under the sealq-owned SSE-SQS key; the blob decrypts with `decryptOwned`. */
  ownedDataKey(context: Record<string, string>): { plaintext: Buffer; blob: Buffer } {
    const plaintext = randomBytes(32);
    return { plaintext, blob: encryptBlob(this.owned(), OWNED_KEY_ID, 1, plaintext, context) };
  }

  decryptOwned(blob: Buffer, context: Record<string, string>): Buffer {
    const plaintext = decryptBlob(this.owned(), blob, context);
    if (!plaintext) throw kmsError('InvalidCiphertextException', '');
    return plaintext;
  }

  // Key lookup

  /** Resolves any of the four KeyId forms, in the caller's account unless an ARN names another. */
  resolveKey(ctx: KmsContext, keyId: string | undefined): { key: KmsKey; alias?: KmsAlias } {
    if (typeof keyId !== 'string' || keyId === '') throw kmsError('ValidationException', 'KeyId is required.');
    const account = ctx.principal.accountId;
    let alias: KmsAlias | undefined;
    let id = keyId;
    if (keyId.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:\d{12}:alias\//.test(keyId)) {
      const arn = keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${this.region}:${account}:${keyId}`;
      alias = this.keys.aliases.get(arn) ?? this.ensureManagedAlias(arn);
      if (!alias) throw kmsError('NotFoundException', `Alias ${arn} is not found.`);
      id = alias.targetKeyId;
    } else if (keyId.startsWith('arn:')) {
      const parsed = parseArn(keyId);
      if (!parsed || parsed.service !== 'kms' || !parsed.resource.startsWith('key/')) {
        throw kmsError('NotFoundException', `Invalid keyId ${keyId}`);
      }
      id = parsed.resource.slice(4);
    }
    const key = this.keys.keys.get(id);
    if (!key || (!keyId.startsWith('arn:') && !alias && key.accountId !== account)) {
      throw kmsError('NotFoundException', `Key '${keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${this.region}:${account}:key/${id}`}' does not exist`);
    }
    this.expireDeletion(key);
    if (!this.keys.keys.has(key.keyId)) throw kmsError('NotFoundException', `Key '${key.arn}' does not exist`);
    // CloudTrail names the key of a call refused for its state or its policy.
    if (this.recording && !this.recording.keyArn) this.recording.keyArn = key.arn;
    return { key, alias };
  }

  /** AWS: `alias/aws/sqs` and `alias/aws/sns` are created the first time they are used. */
  private ensureManagedAlias(aliasArn: string): KmsAlias | undefined {
    const parsed = parseArn(aliasArn);
    const service = parsed && MANAGED_ALIASES.get(parsed.resource);
    if (!parsed || !service) return undefined;
    const now = this.clock.now();
    const keyId = randomUUID();
    const arn = `arn:aws:kms:${this.region}:${parsed.accountId}:key/${keyId}`;
    const key: KmsKey = {
      keyId,
      arn,
      accountId: parsed.accountId,
      description: MANAGED_DESCRIPTIONS[service],
      keyState: 'Enabled',
      keyManager: 'AWS',
      createdAt: now,
      policy: awsManagedPolicy(service, parsed.accountId, this.region),
      rotation: { enabled: true, periodDays: 365, nextRotationAt: now + 365 * DAY },
      versions: [{ version: 1, sealed: sealMaterial(this.rootKey, newKeyMaterial(), arn, 1), createdAt: now }],
      tags: [],
      grants: [],
    };
    const alias: KmsAlias = { name: parsed.resource, arn: aliasArn, accountId: parsed.accountId, targetKeyId: keyId, createdAt: now, updatedAt: now };
    // The next lookup reads memory; whoever sends under the key awaits `keyWrites()` first, so no
    // message is stored under a key that is not. Another node may have made the alias at the same
    // moment: the first stored wins and this node switches to it (its own key stays stored, so
    // anything sealed under it in between still opens).
    this.keys.aliases.set(alias.arn, alias);
    this.trackKeyWrite(
      (async () => {
        await this.keys.saveKey(key);
        await this.keys.saveAliasIfAbsent(alias);
      })(),
    );
    return alias;
  }

  private readonly pendingKeyWrites = new Set<Promise<unknown>>();

  /** Resolves once keys made on first use are stored (at once when none is being written). */
  keyWrites(): Promise<unknown> | undefined {
    return this.pendingKeyWrites.size === 0 ? undefined : Promise.allSettled([...this.pendingKeyWrites]);
  }

  /** A key whose deletion date passed is gone. */
  private expireDeletion(key: KmsKey): void {
    if (key.keyState === 'PendingDeletion' && key.deletionDate !== undefined && this.clock.now() >= key.deletionDate) {
      // A lost delete is redone: the stored key is still past its date when it is next loaded.
      void this.keys.deleteKey(key).catch(() => undefined);
      for (const alias of this.keys.aliasesOf(key)) void this.keys.deleteAlias(alias).catch(() => undefined);
    }
  }

  private authorize(ctx: KmsContext, action: string, key: KmsKey, extra: { alias?: KmsAlias; encryptionContext?: Record<string, string> } = {}): void {
    this.authorizer.authorizeKey(ctx, `kms:${action}`, key, {
      requestAlias: extra.alias?.name,
      resourceAliases: this.keys.aliasesOf(key).map((a) => a.name),
      encryptionContext: extra.encryptionContext,
    });
  }

  private usable(key: KmsKey): void {
    if (key.keyState === 'Disabled') throw kmsError('DisabledException', `${key.arn} is disabled.`);
    if (key.keyState === 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
  }

  private materialOf(key: KmsKey, version: number): Buffer {
    const id = `${key.keyId}#${version}`;
    let material = this.material.get(id);
    if (!material) {
      const v = key.versions.find((x) => x.version === version);
      if (!v) throw kmsError('InvalidCiphertextException', '');
      material = unsealMaterial(this.rootKey, v.sealed, key.arn, version);
      this.material.set(id, material);
    }
    return material;
  }

  private rotateIfDue(key: KmsKey): void {
    const now = this.clock.now();
    if (key.rotation.enabled && key.rotation.nextRotationAt !== undefined && now >= key.rotation.nextRotationAt) {
      // Nodes sharing a database may each find the rotation due at once. The scheduled rotation's
      // material is derived from the root key and the schedule, so they all make the same version
      // and no write can lose material another node already sealed data keys under.
      const scheduled = key.rotation.nextRotationAt;
      const version = this.newVersion(key, false, derivedKeyMaterial(this.rootKey, `${key.arn}#rotation#${scheduled}`));
      key.versions.push(version);
      const nextRotationAt = now + key.rotation.periodDays * DAY;
      key.rotation.nextRotationAt = nextRotationAt;
      this.trackKeyWrite(
        this.keys.claimVersion(key, version).then(() =>
          this.keys.updateKey(key, (k) => {
            withVersion(k, version);
            if (k.rotation.enabled && (k.rotation.nextRotationAt ?? 0) < nextRotationAt) k.rotation = { ...k.rotation, nextRotationAt };
          }),
        ),
      );
    }
  }

  /**
   * The next version of a key's material. Scheduled rotations take even numbers and on-demand ones
   * odd numbers, so the two kinds can never pick the same number on two nodes at once: a scheduled
   * version is used before it is stored (it is made inside an encryption), and two nodes make the
   * same one; on-demand versions are claimed in the store before use.
   */
  private newVersion(key: KmsKey, onDemand: boolean, material: Buffer): KeyVersion {
    const newest = key.versions[key.versions.length - 1].version;
    const version = newest + ((newest % 2 === 0) === onDemand ? 1 : 2);
    return { version, sealed: sealMaterial(this.rootKey, material, key.arn, version), createdAt: this.clock.now(), onDemand };
  }

  private trackKeyWrite(write: Promise<unknown>): void {
    const tracked = write.then(
      () => undefined,
      () => undefined,
    );
    this.pendingKeyWrites.add(tracked);
    void tracked.then(() => this.pendingKeyWrites.delete(tracked));
  }

  /** Runs a metered operation: records it, with its error code if it fails. */
  metered<T>(ctx: KmsContext, operation: string, ec: Record<string, string> | undefined, run: (record: KmsCallRecord) => T): T {
    const record: KmsCallRecord = {
      time: this.clock.now(),
      operation,
      principal: ctx.principal.arn,
      // sqs.us-east-1.amazonaws.com → sqs.amazonaws.com, as CloudTrail's invokedBy names it.
      invokedBy: ctx.viaService?.replace(/\.[a-z0-9-]+\.amazonaws\.com$/, '.amazonaws.com'),
      encryptionContext: ec,
    };
    const outer = this.recording;
    this.recording = record;
    try {
      this.takeToken();
      return run(record);
    } catch (error) {
      record.errorCode = (error as { spec?: { queryCode?: string } }).spec?.queryCode ?? 'KMSInternalException';
      throw error;
    } finally {
      this.recording = outer;
      this.onCall(record);
    }
  }

  private takeToken(): void {
    if (this.requestsPerSecond <= 0) return;
    const now = this.clock.now();
    this.tokens = Math.min(this.requestsPerSecond, this.tokens + ((now - this.refilledAt) / 1000) * this.requestsPerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) throw kmsError('ThrottlingException', 'Rate exceeded');
    this.tokens -= 1;
  }

  // Keys

  async createKey(ctx: KmsContext, input: { policy?: string; description?: string; keyUsage?: string; keySpec?: string; customerMasterKeySpec?: string; tags?: Array<{ tagKey: string; tagValue: string }>; bypassPolicyLockoutSafetyCheck?: boolean }) {
    if (input.keyUsage && input.keyUsage !== 'ENCRYPT_DECRYPT') throw kmsError('UnsupportedOperationException', `sealq supports only ENCRYPT_DECRYPT keys.`);
    // AWS: kms:CreateKey is valid only in IAM policies.
    this.authorizer.authorizeIdentity(ctx, 'kms:CreateKey');
    const spec = input.keySpec ?? input.customerMasterKeySpec;
    if (spec && spec !== 'SYMMETRIC_DEFAULT') throw kmsError('UnsupportedOperationException', `sealq supports only SYMMETRIC_DEFAULT keys.`);
    const now = this.clock.now();
    const keyId = randomUUID();
    const accountId = ctx.principal.accountId;
    const arn = `arn:aws:kms:${this.region}:${accountId}:key/${keyId}`;
    const policy = input.policy ?? defaultKeyPolicy(accountId);
    this.checkPolicy(policy);
    const key: KmsKey = {
      keyId,
      arn,
      accountId,
      description: input.description ?? '',
      keyState: 'Enabled',
      keyManager: 'CUSTOMER',
      createdAt: now,
      policy,
      rotation: { enabled: false, periodDays: 365 },
      versions: [{ version: 1, sealed: sealMaterial(this.rootKey, newKeyMaterial(), arn, 1), createdAt: now }],
      tags: (input.tags ?? []).map((t) => ({ TagKey: t.tagKey, TagValue: t.tagValue })),
      grants: [],
    };
    if (input.policy && !input.bypassPolicyLockoutSafetyCheck) this.lockoutCheck(ctx, key, 'create');
    await this.keys.saveKey(key);
    return { keyMetadata: this.metadata(key) };
  }

  private checkPolicy(policy: string): void {
    if (Buffer.byteLength(policy) > MAX_POLICY_BYTES) throw kmsError('LimitExceededException', 'The key policy exceeds 32 KB.');
    try {
      parsePolicy(policy, { kind: 'resource' });
    } catch (error) {
      if (error instanceof PolicyError) throw kmsError('MalformedPolicyDocumentException', error.message);
      throw error;
    }
  }

  /** AWS: a key policy must let the caller change it again, unless the caller opts out. */
  private lockoutCheck(ctx: KmsContext, key: KmsKey, when: 'create' | 'put'): void {
    try {
      this.authorize(ctx, 'PutKeyPolicy', key);
    } catch {
      throw kmsError(
        'MalformedPolicyDocumentException',
        when === 'create'
          ? 'The new key policy will not allow you to update the key policy in the future.'
          : 'The new key policy will not allow you to update the key policy in the future.',
      );
    }
  }

  metadata(key: KmsKey) {
    return {
      awsAccountId: key.accountId,
      keyId: key.keyId,
      arn: key.arn,
      creationDate: key.createdAt,
      enabled: key.keyState === 'Enabled',
      description: key.description,
      keyUsage: 'ENCRYPT_DECRYPT',
      keyState: key.keyState,
      deletionDate: key.deletionDate,
      pendingDeletionWindowInDays: key.keyState === 'PendingDeletion' ? key.pendingWindowInDays : undefined,
      origin: 'AWS_KMS',
      keyManager: key.keyManager,
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      keySpec: 'SYMMETRIC_DEFAULT',
      encryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      multiRegion: false,
    };
  }

  async describeKey(ctx: KmsContext, input: { keyId: string }) {
    return this.metered(ctx, 'DescribeKey', undefined, (record) => {
      const { key, alias } = this.resolveKey(ctx, input.keyId);
      record.keyArn = key.arn;
      this.authorize(ctx, 'DescribeKey', key, { alias });
      return { keyMetadata: this.metadata(key) };
    });
  }

  async listKeys(ctx: KmsContext, input: { limit?: number; marker?: string }) {
    this.authorizer.authorizeIdentity(ctx, 'kms:ListKeys');
    const keys = [...this.keys.keys.values()].filter((k) => k.accountId === ctx.principal.accountId);
    const start = input.marker ? Number(input.marker) || 0 : 0;
    const limit = input.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw kmsError('ValidationException', 'Limit must be between 1 and 1000.');
    const page = keys.slice(start, start + limit);
    const truncated = start + limit < keys.length;
    return { keys: page.map((k) => ({ keyId: k.keyId, keyArn: k.arn })), truncated, nextMarker: truncated ? String(start + limit) : undefined };
  }

  private managedGuard(key: KmsKey, action: string): void {
    if (key.keyManager === 'AWS') throw kmsError('UnsupportedOperationException', `${action} is not supported for AWS managed keys: ${key.arn}`);
  }

  async enableKey(ctx: KmsContext, input: { keyId: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'EnableKey', key);
    this.managedGuard(key, 'EnableKey');
    if (key.keyState === 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    await this.keys.updateKey(key, (k) => {
      k.keyState = 'Enabled';
    });
  }

  async disableKey(ctx: KmsContext, input: { keyId: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'DisableKey', key);
    this.managedGuard(key, 'DisableKey');
    if (key.keyState === 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    await this.keys.updateKey(key, (k) => {
      k.keyState = 'Disabled';
    });
  }

  async scheduleKeyDeletion(ctx: KmsContext, input: { keyId: string; pendingWindowInDays?: number }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'ScheduleKeyDeletion', key);
    this.managedGuard(key, 'ScheduleKeyDeletion');
    const days = input.pendingWindowInDays ?? 30;
    if (!Number.isInteger(days) || days < 7 || days > 30) {
      throw kmsError('ValidationException', `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`);
    }
    if (key.keyState === 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    const deletionDate = this.clock.now() + days * DAY;
    await this.keys.updateKey(key, (k) => {
      k.keyState = 'PendingDeletion';
      k.pendingWindowInDays = days;
      k.deletionDate = deletionDate;
    });
    return { keyId: key.arn, deletionDate, keyState: 'PendingDeletion', pendingWindowInDays: days };
  }

  async cancelKeyDeletion(ctx: KmsContext, input: { keyId: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'CancelKeyDeletion', key);
    if (key.keyState !== 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
    // AWS: a key whose deletion is cancelled comes back disabled.
    await this.keys.updateKey(key, (k) => {
      k.keyState = 'Disabled';
      delete k.deletionDate;
      delete k.pendingWindowInDays;
    });
    return { keyId: key.arn };
  }

  // Policies

  async getKeyPolicy(ctx: KmsContext, input: { keyId: string; policyName?: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'GetKeyPolicy', key);
    if ((input.policyName ?? 'default') !== 'default') throw kmsError('NotFoundException', `No such policy exists`);
    return { policy: key.policy, policyName: 'default' };
  }

  async putKeyPolicy(ctx: KmsContext, input: { keyId: string; policyName?: string; policy: string; bypassPolicyLockoutSafetyCheck?: boolean }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'PutKeyPolicy', key);
    if (key.keyManager === 'AWS') {
      throw kmsError('AccessDeniedException', `User: ${ctx.principal.arn} is not authorized to perform: kms:PutKeyPolicy on resource: ${key.arn} because the key policy of an AWS managed key cannot be changed`);
    }
    if ((input.policyName ?? 'default') !== 'default') throw kmsError('NotFoundException', `No such policy exists`);
    this.checkPolicy(input.policy);
    if (!input.bypassPolicyLockoutSafetyCheck) this.lockoutCheck(ctx, { ...key, policy: input.policy }, 'put');
    await this.keys.updateKey(key, (k) => {
      k.policy = input.policy;
    });
  }

  async listKeyPolicies(ctx: KmsContext, input: { keyId: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'ListKeyPolicies', key);
    return { policyNames: ['default'], truncated: false };
  }

  // Rotation

  async enableKeyRotation(ctx: KmsContext, input: { keyId: string; rotationPeriodInDays?: number }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'EnableKeyRotation', key);
    this.managedGuard(key, 'EnableKeyRotation');
    this.usable(key);
    const days = input.rotationPeriodInDays ?? 365;
    if (!Number.isInteger(days) || days < 90 || days > 2560) throw kmsError('ValidationException', 'RotationPeriodInDays must be between 90 and 2560.');
    const rotation = { enabled: true, periodDays: days, nextRotationAt: this.clock.now() + days * DAY };
    await this.keys.updateKey(key, (k) => {
      k.rotation = { ...rotation };
    });
  }

  async disableKeyRotation(ctx: KmsContext, input: { keyId: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'DisableKeyRotation', key);
    this.managedGuard(key, 'DisableKeyRotation');
    this.usable(key);
    await this.keys.updateKey(key, (k) => {
      k.rotation = { enabled: false, periodDays: k.rotation.periodDays };
    });
  }

  async getKeyRotationStatus(ctx: KmsContext, input: { keyId: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'GetKeyRotationStatus', key);
    return {
      keyRotationEnabled: key.rotation.enabled,
      keyId: key.arn,
      rotationPeriodInDays: key.rotation.enabled ? key.rotation.periodDays : undefined,
      nextRotationDate: key.rotation.nextRotationAt,
    };
  }

  async rotateKeyOnDemand(ctx: KmsContext, input: { keyId: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'RotateKeyOnDemand', key);
    this.managedGuard(key, 'RotateKeyOnDemand');
    this.usable(key);
    const material = newKeyMaterial();
    // Another node rotating at the same moment may take the number first: then take the next.
    // (The key in memory may be replaced meanwhile by another node's write: use the current one.)
    const current = () => this.keys.keys.get(key.keyId) ?? key;
    let version: KeyVersion;
    do version = this.newVersion(current(), true, material);
    while (!(await this.keys.claimVersion(current(), version)));
    await this.keys.updateKey(current(), (k) => withVersion(k, version));
    return { keyId: key.keyId };
  }

  // Cryptographic operations

  /** Encrypts under the key's newest version (rotation adds versions; old ones keep decrypting). */
  encryptWith(ctx: KmsContext, keyId: string, plaintext: Buffer, context: Record<string, string> | undefined, operation: string): { key: KmsKey; blob: Buffer } {
    const { key, alias } = this.resolveKey(ctx, keyId);
    this.authorize(ctx, operation, key, { alias, encryptionContext: context });
    this.usable(key);
    this.rotateIfDue(key);
    const version = key.versions[key.versions.length - 1].version;
    return { key, blob: encryptBlob(this.materialOf(key, version), key.keyId, version, plaintext, context) };
  }

  /** Decrypts a blob; the blob names its key. `expectedKeyId`, when given, must match it. */
  decryptWith(ctx: KmsContext, blob: Buffer, context: Record<string, string> | undefined, expectedKeyId: string | undefined, operation = 'Decrypt'): { key: KmsKey; plaintext: Buffer } {
    const named = blobKey(blob);
    if (!named) throw kmsError('InvalidCiphertextException', '');
    const key = this.keys.keys.get(named.keyId);
    if (!key) throw kmsError('NotFoundException', 'Invalid keyId');
    this.expireDeletion(key);
    if (!this.keys.keys.has(key.keyId)) throw kmsError('NotFoundException', `Key '${key.arn}' does not exist`);
    if (expectedKeyId !== undefined) {
      const expected = this.resolveKey(ctx, expectedKeyId).key;
      if (expected.keyId !== key.keyId) throw kmsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
    }
    this.authorize(ctx, operation, key, { encryptionContext: context });
    this.usable(key);
    const plaintext = decryptBlob(this.materialOf(key, named.version), blob, context);
    if (!plaintext) throw kmsError('InvalidCiphertextException', '');
    return { key, plaintext };
  }

  /**
   * When a blob names a version of a known key that this node has not read yet (another node
   * rotated the key moments ago, ahead of the change feed), reads it from the store; otherwise
   * undefined, at no cost. Run before the decryption, so the call is metered once.
   */
  learnVersionOf(blob: Buffer | undefined): Promise<unknown> | undefined {
    const named = blob && blobKey(blob);
    const key = named ? this.keys.keys.get(named.keyId) : undefined;
    if (!named || !key || key.versions.some((v) => v.version === named.version)) return undefined;
    return this.keys.fetchVersion(key.keyId, named.version);
  }

  async encrypt(ctx: KmsContext, input: { keyId: string; plaintext: Buffer; encryptionContext?: Record<string, string> }) {
    return this.metered(ctx, 'Encrypt', input.encryptionContext, (record) => {
      if (!input.plaintext || input.plaintext.length === 0 || input.plaintext.length > 4096) {
        throw kmsError('ValidationException', 'Plaintext must be 1 to 4096 bytes.');
      }
      const { key, blob } = this.encryptWith(ctx, input.keyId, input.plaintext, input.encryptionContext, 'Encrypt');
      record.keyArn = key.arn;
      return { ciphertextBlob: blob, keyId: key.arn, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    });
  }

  async decrypt(ctx: KmsContext, input: { ciphertextBlob: Buffer; encryptionContext?: Record<string, string>; keyId?: string }) {
    await this.learnVersionOf(input.ciphertextBlob);
    return this.metered(ctx, 'Decrypt', input.encryptionContext, (record) => {
      const named = input.ciphertextBlob ? blobKey(input.ciphertextBlob) : undefined;
      if (named) record.keyArn = this.keys.keys.get(named.keyId)?.arn;
      const { key, plaintext } = this.decryptWith(ctx, input.ciphertextBlob, input.encryptionContext, input.keyId);
      return { keyId: key.arn, plaintext, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    });
  }

  async reEncrypt(ctx: KmsContext, input: { ciphertextBlob: Buffer; sourceEncryptionContext?: Record<string, string>; sourceKeyId?: string; destinationKeyId: string; destinationEncryptionContext?: Record<string, string> }) {
    await this.learnVersionOf(input.ciphertextBlob);
    return this.metered(ctx, 'ReEncrypt', input.destinationEncryptionContext, (record) => {
      const source = this.decryptWith(ctx, input.ciphertextBlob, input.sourceEncryptionContext, input.sourceKeyId, 'ReEncryptFrom');
      const destination = this.encryptWith(ctx, input.destinationKeyId, source.plaintext, input.destinationEncryptionContext, 'ReEncryptTo');
      record.keyArn = destination.key.arn;
      return {
        ciphertextBlob: destination.blob,
        sourceKeyId: source.key.arn,
        keyId: destination.key.arn,
        sourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        destinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    });
  }

  private dataKeyBytes(input: { numberOfBytes?: number; keySpec?: string }): number {
    if (input.numberOfBytes !== undefined && input.keySpec !== undefined) {
      throw kmsError('ValidationException', 'Please specify either number of bytes or key spec.');
    }
    if (input.keySpec !== undefined) {
      if (input.keySpec === 'AES_256') return 32;
      if (input.keySpec === 'AES_128') return 16;
      throw kmsError('ValidationException', `Value '${input.keySpec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`);
    }
    const n = input.numberOfBytes;
    if (n === undefined) throw kmsError('ValidationException', 'Please specify either number of bytes or key spec.');
    if (!Number.isInteger(n) || n < 1 || n > 1024) throw kmsError('ValidationException', 'NumberOfBytes must be between 1 and 1024.');
    return n;
  }

  /** A fresh data key: plaintext and its ciphertext blob under the KMS key. */
  generateDataKeyFor(ctx: KmsContext, keyId: string, bytes: number, context: Record<string, string> | undefined, operation: string) {
    const plaintext = randomBytes(bytes);
    const { key, blob } = this.encryptWith(ctx, keyId, plaintext, context, operation);
    return { key, plaintext, blob };
  }

  async generateDataKey(ctx: KmsContext, input: { keyId: string; numberOfBytes?: number; keySpec?: string; encryptionContext?: Record<string, string> }) {
    return this.metered(ctx, 'GenerateDataKey', input.encryptionContext, (record) => {
      const { key, plaintext, blob } = this.generateDataKeyFor(ctx, input.keyId, this.dataKeyBytes(input), input.encryptionContext, 'GenerateDataKey');
      record.keyArn = key.arn;
      return { ciphertextBlob: blob, plaintext, keyId: key.arn };
    });
  }

  async generateDataKeyWithoutPlaintext(ctx: KmsContext, input: { keyId: string; numberOfBytes?: number; keySpec?: string; encryptionContext?: Record<string, string> }) {
    return this.metered(ctx, 'GenerateDataKeyWithoutPlaintext', input.encryptionContext, (record) => {
      const { key, blob } = this.generateDataKeyFor(ctx, input.keyId, this.dataKeyBytes(input), input.encryptionContext, 'GenerateDataKeyWithoutPlaintext');
      record.keyArn = key.arn;
      return { ciphertextBlob: blob, keyId: key.arn };
    });
  }

  // Aliases

  async createAlias(ctx: KmsContext, input: { aliasName: string; targetKeyId: string }) {
    const name = checkAliasName(input.aliasName);
    const account = ctx.principal.accountId;
    const arn = `arn:aws:kms:${this.region}:${account}:${name}`;
    if (this.keys.aliases.has(arn)) throw kmsError('AlreadyExistsException', `An alias with the name ${arn} already exists`);
    const { key } = this.resolveKey(ctx, input.targetKeyId);
    if (key.accountId !== account) throw kmsError('NotFoundException', `Key '${key.arn}' does not exist`);
    this.authorize(ctx, 'CreateAlias', key);
    // AWS (key-state table): CreateAlias on a key pending deletion is KMSInvalidStateException.
    if (key.keyState === 'PendingDeletion') throw kmsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    const now = this.clock.now();
    await this.keys.saveAlias({ name, arn, accountId: account, targetKeyId: key.keyId, createdAt: now, updatedAt: now });
  }

  async updateAlias(ctx: KmsContext, input: { aliasName: string; targetKeyId: string }) {
    const name = checkAliasName(input.aliasName);
    const arn = `arn:aws:kms:${this.region}:${ctx.principal.accountId}:${name}`;
    const alias = this.keys.aliases.get(arn);
    if (!alias) throw kmsError('NotFoundException', `Alias ${arn} is not found.`);
    const { key } = this.resolveKey(ctx, input.targetKeyId);
    this.authorize(ctx, 'UpdateAlias', key);
    await this.keys.saveAlias({ ...alias, targetKeyId: key.keyId, updatedAt: this.clock.now() });
  }

  async deleteAlias(ctx: KmsContext, input: { aliasName: string }) {
    const name = checkAliasName(input.aliasName);
    const arn = `arn:aws:kms:${this.region}:${ctx.principal.accountId}:${name}`;
    const alias = this.keys.aliases.get(arn);
    if (!alias) throw kmsError('NotFoundException', `Alias ${arn} is not found.`);
    const key = this.keys.keys.get(alias.targetKeyId);
    if (key) this.authorize(ctx, 'DeleteAlias', key);
    await this.keys.deleteAlias(alias);
  }

  async listAliases(ctx: KmsContext, input: { keyId?: string; limit?: number; marker?: string }) {
    this.authorizer.authorizeIdentity(ctx, 'kms:ListAliases');
    let aliases = [...this.keys.aliases.values()].filter((a) => a.accountId === ctx.principal.accountId);
    if (input.keyId) {
      const { key } = this.resolveKey(ctx, input.keyId);
      aliases = aliases.filter((a) => a.targetKeyId === key.keyId);
    }
    aliases.sort((a, b) => (a.name < b.name ? -1 : 1));
    return {
      aliases: aliases.map((a) => ({ aliasName: a.name, aliasArn: a.arn, targetKeyId: a.targetKeyId, creationDate: a.createdAt, lastUpdatedDate: a.updatedAt })),
      truncated: false,
    };
  }

  // Grants

  async createGrant(ctx: KmsContext, input: { keyId: string; granteePrincipal: string; retiringPrincipal?: string; operations: string[]; constraints?: { encryptionContextSubset?: Record<string, string>; encryptionContextEquals?: Record<string, string> }; name?: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'CreateGrant', key);
    this.usable(key);
    if (!input.operations?.length) throw kmsError('ValidationException', 'Operations must not be empty.');
    const grantId = randomBytes(32).toString('hex');
    const grantToken = randomBytes(48).toString('base64');
    const grant: KmsKey['grants'][number] = {
      grantId,
      grantToken,
      granteePrincipal: input.granteePrincipal,
      granteeName: input.granteePrincipal,
      retiringPrincipal: input.retiringPrincipal,
      operations: input.operations,
      constraints: input.constraints,
      name: input.name,
      issuingAccount: `arn:aws:iam::${ctx.principal.accountId}:root`,
      createdAt: this.clock.now(),
    };
    await this.keys.updateKey(key, (k) => {
      k.grants = [...k.grants.filter((g) => g.grantId !== grantId), { ...grant }];
    });
    return { grantToken, grantId };
  }

  async listGrants(ctx: KmsContext, input: { keyId: string; grantId?: string; granteePrincipal?: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'ListGrants', key);
    const grants = key.grants
      .filter((g) => (!input.grantId || g.grantId === input.grantId) && (!input.granteePrincipal || g.granteePrincipal === input.granteePrincipal))
      .map((g) => ({
        keyId: key.arn,
        grantId: g.grantId,
        name: g.name,
        creationDate: g.createdAt,
        granteePrincipal: g.granteePrincipal,
        retiringPrincipal: g.retiringPrincipal,
        issuingAccount: g.issuingAccount,
        operations: g.operations,
        constraints: g.constraints,
      }));
    return { grants, truncated: false };
  }

  async revokeGrant(ctx: KmsContext, input: { keyId: string; grantId: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'RevokeGrant', key);
    if (!key.grants.some((g) => g.grantId === input.grantId)) throw kmsError('InvalidGrantIdException', 'Grant ID not found.');
    await this.keys.updateKey(key, (k) => {
      k.grants = k.grants.filter((g) => g.grantId !== input.grantId);
    });
  }

  async retireGrant(ctx: KmsContext, input: { grantToken?: string; keyId?: string; grantId?: string }) {
    for (const key of this.keys.keys.values()) {
      const grant = key.grants.find((g) => (input.grantToken && g.grantToken === input.grantToken) || (input.grantId && g.grantId === input.grantId));
      if (!grant) continue;
      const p = ctx.principal;
      const named = (who: string | undefined) => who !== undefined && (who === p.arn || who === p.principalArn);
      const callerAccount = `arn:aws:iam::${p.accountId}:root`;
      // AWS: the grant decides. Its retiring principal, its grantee if the grant includes RetireGrant,
      // and the account that issued it (or names it as retiring principal): its root, and IAM principals
      // it delegates kms:RetireGrant to. An IAM Deny of kms:RetireGrant still applies.
      const iam = this.authorizer.identityDecision(ctx, 'kms:RetireGrant', key.arn);
      const allowed =
        iam.decision !== 'ExplicitDeny' &&
        (named(grant.retiringPrincipal) ||
          (named(grant.granteePrincipal) && grant.operations.includes('RetireGrant')) ||
          ((grant.issuingAccount === callerAccount || grant.retiringPrincipal === callerAccount) && iam.decision === 'Allow'));
      if (!allowed) throw kmsError('AccessDeniedException', `User: ${p.arn} is not authorized to perform: kms:RetireGrant on resource: ${key.arn}`);
      await this.keys.updateKey(key, (k) => {
        k.grants = k.grants.filter((g) => g.grantId !== grant.grantId);
      });
      return;
    }
    throw kmsError(input.grantToken ? 'InvalidGrantTokenException' : 'InvalidGrantIdException', 'Grant not found.');
  }

  // Tags

  async tagResource(ctx: KmsContext, input: { keyId: string; tags: Array<{ tagKey: string; tagValue: string }> }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'TagResource', key);
    const tagged = (tags: KmsKey['tags']) => {
      let out = tags;
      for (const t of input.tags ?? []) out = [...out.filter((x) => x.TagKey !== t.tagKey), { TagKey: t.tagKey, TagValue: t.tagValue }];
      return out;
    };
    if (tagged(key.tags).length > 50) throw kmsError('TagException', 'A key can have at most 50 tags.');
    await this.keys.updateKey(key, (k) => {
      k.tags = tagged(k.tags);
    });
  }

  async untagResource(ctx: KmsContext, input: { keyId: string; tagKeys: string[] }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'UntagResource', key);
    await this.keys.updateKey(key, (k) => {
      k.tags = k.tags.filter((t) => !(input.tagKeys ?? []).includes(t.TagKey));
    });
  }

  async listResourceTags(ctx: KmsContext, input: { keyId: string }) {
    const { key } = this.resolveKey(ctx, input.keyId);
    this.authorize(ctx, 'ListResourceTags', key);
    return { tags: key.tags.map((t) => ({ tagKey: t.TagKey, tagValue: t.TagValue })), truncated: false };
  }
}

function checkAliasName(name: string): string {
  if (typeof name !== 'string' || !ALIAS_NAME.test(name)) {
    throw kmsError('ValidationException', `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$`);
  }
  if (name.startsWith('alias/aws/')) throw kmsError('InvalidAliasNameException', `Alias must not begin with 'alias/aws/'.`);
  return name;
}

/** The KMS actions this service implements; the model's others answer NotImplemented. */
export const implementedKmsActions: ReadonlySet<string> = new Set([
  'CreateKey', 'DescribeKey', 'ListKeys', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion',
  'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ListAliases',
  'Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext',
  'GetKeyPolicy', 'PutKeyPolicy', 'ListKeyPolicies',
  'EnableKeyRotation', 'DisableKeyRotation', 'GetKeyRotationStatus', 'RotateKeyOnDemand',
  'CreateGrant', 'ListGrants', 'RetireGrant', 'RevokeGrant',
  'TagResource', 'UntagResource', 'ListResourceTags',
]);
