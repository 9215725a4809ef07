import { createHash, randomUUID } from 'node:crypto';
import { AwsError, type AwsErrorSpec } from '../../shared/aws-error.js';
import { parseArn } from '../../shared/arn.js';
import type { Clock } from '../../shared/clock.js';
import type { IdentityEntity, IdentityStore } from '../../storage/ports.js';
import { changeStoredDocument } from '../stored-documents.js';
import type { Authorizer } from '../authz/authorizer.js';
import type { KmsService } from '../kms/kms-service.js';
import { servicePrincipal, type Principal } from '../iam/entities.js';
import type { SqsService } from '../sqs/sqs-service.js';
import type { MessageAttributes } from '../sqs/types.js';
import { FilterPolicyError, matchesFilter, parseFilterPolicy } from './filter-policy.js';
import type { SnsSigner } from './signing.js';

const spec = (code: string, status: number): AwsErrorSpec => Object.freeze({ shape: code, queryCode: code, status, fault: 'Sender' });
/** SNS's own codes for KMS failures on an encrypted topic. */
const KMS_ERRORS: Record<string, [string, number]> = {
  AccessDeniedException: ['KMSAccessDenied', 400],
  DisabledException: ['KMSDisabled', 400],
  KMSInvalidStateException: ['KMSInvalidState', 400],
  NotFoundException: ['KMSNotFound', 400],
  ThrottlingException: ['KMSThrottling', 400],
};

const snsError = {
  notFound: (m: string) => new AwsError(spec('NotFound', 404), m),
  invalidParameter: (m: string) => new AwsError(spec('InvalidParameter', 400), m),
  authorizationError: (m: string) => new AwsError(spec('AuthorizationError', 403), m),
  batchIdsNotDistinct: () => new AwsError(spec('BatchEntryIdsNotDistinct', 400), 'Two or more batch entries in the request have the same Id.'),
  emptyBatch: () => new AwsError(spec('EmptyBatchRequest', 400), 'The batch request doesn\'t contain any entries.'),
  tooManyEntries: () => new AwsError(spec('TooManyEntriesInBatchRequest', 400), 'The batch request contains more entries than permissible.'),
};

/** AWS pages SNS listings 100 at a time. */
const PAGE_SIZE = 100;

/** One page of a sorted listing; the token is the offset of the next page. */
function pageOf<T>(all: T[], token: string | undefined): { items: T[]; nextToken?: string } {
  if (token !== undefined && token !== '' && !/^\d{1,9}$/.test(token)) throw snsError.invalidParameter('Invalid parameter: NextToken');
  const start = token ? Number(token) : 0;
  const end = start + PAGE_SIZE;
  return { items: all.slice(start, end), nextToken: end < all.length ? String(end) : undefined };
}

interface Topic {
  arn: string;
  name: string;
  accountId: string;
  fifo: boolean;
  attributes: Record<string, string>;
  tags: Array<{ key: string; value: string }>;
}

interface Subscription {
  arn: string;
  topicArn: string;
  owner: string;
  protocol: 'sqs';
  endpoint: string;
  attributes: Record<string, string>;
}

export interface SnsContext {
  principal: Principal;
  secure: boolean;
  sourceIp?: string;
  /** `scheme://host` for SigningCertURL and UnsubscribeURL. */
  baseUrl: string;
}

interface SnsAttribute {
  dataType: string;
  stringValue?: string;
  binaryValue?: Buffer;
}

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const MAX_MESSAGE_BYTES = 262_144;
const RETRY_DELAYS_MS = [1000, 5000, 20_000];

/** What one delivery came to, for metrics and the console: the exact error code on failure. */
export interface DeliveryRecord {
  time: number;
  topicArn: string;
  subscriptionArn: string;
  endpoint: string;
  outcome: 'delivered' | 'failed' | 'dead-lettered';
  errorCode?: string;
}

/**
 * SNS with SQS subscriptions. Publishing hands each matching subscription's copy to
 * `SqsService.deliver` as `sns.amazonaws.com` with the topic as aws:SourceArn, so the queue policy,
 * the queue's KMS key policy and SSE apply exactly as for any sender.
 */
export class SnsService {
  private readonly topics = new Map<string, Topic>();
  private readonly subscriptions = new Map<string, Subscription>();
  readonly deliveries: DeliveryRecord[] = [];
  /** The last delivery under way per FIFO subscription and message group. */
  private readonly fifoDeliveries = new Map<string, Promise<void>>();
  onDelivery: (record: DeliveryRecord) => void = () => undefined;

  constructor(
    private readonly store: IdentityStore,
    private readonly sqs: () => SqsService,
    private readonly authorizer: Authorizer,
    /** Made on first use: generating the signing key costs time no start should pay for. */
    private readonly loadSigner: () => Promise<SnsSigner>,
    private readonly clock: Clock,
    private readonly region: string,
  ) {}

  private signerPromise: Promise<SnsSigner> | undefined;
  private signer: SnsSigner | undefined;

  private async signing(): Promise<SnsSigner> {
    // A failed load (a database gone away) is not cached: the next delivery tries again.
    this.signerPromise ??= this.loadSigner().then(
      (s) => (this.signer = s),
      (error: unknown) => {
        this.signerPromise = undefined;
        throw error;
      },
    );
    return this.signerPromise;
  }

  async certificate(): Promise<string> {
    return (await this.signing()).certificatePem;
  }

  async load(): Promise<void> {
    this.topics.clear();
    this.subscriptions.clear();
    for (const e of await this.store.listEntities()) this.absorb(e);
  }

  /** Takes in one stored entity (at load, or when another node changed it); ignores other kinds. */
  absorb(e: IdentityEntity): void {
    if (e.kind === 'sns-topic') this.topics.set(e.id, e.value as Topic);
    if (e.kind === 'sns-subscription') this.subscriptions.set(e.id, e.value as Subscription);
  }

  /** Drops an entity another node deleted. */
  forget(kind: string, id: string): void {
    if (kind === 'sns-topic') this.topics.delete(id);
    if (kind === 'sns-subscription') this.subscriptions.delete(id);
  }

  private saveTopic(t: Topic) {
    this.topics.set(t.arn, t);
    return this.store.putEntity({ kind: 'sns-topic', id: t.arn, accountId: t.accountId, value: t });
  }

  private saveSubscription(s: Subscription) {
    this.subscriptions.set(s.arn, s);
    return this.store.putEntity({ kind: 'sns-subscription', id: s.arn, accountId: s.owner, value: s });
  }

  /** Changes part of a topic, here and in the store (a stale node cannot restore an old policy). */
  private updateTopic(topic: Topic, change: (t: Topic) => void) {
    const doc = { kind: 'sns-topic', id: topic.arn, current: topic, absorb: (e: IdentityEntity) => this.absorb(e), saveWhole: () => this.saveTopic(topic) };
    return changeStoredDocument(this.store, doc, change);
  }

  private updateSubscription(subscription: Subscription, change: (s: Subscription) => void) {
    const doc = {
      kind: 'sns-subscription',
      id: subscription.arn,
      current: subscription,
      absorb: (e: IdentityEntity) => this.absorb(e),
      saveWhole: () => this.saveSubscription(subscription),
    };
    return changeStoredDocument(this.store, doc, change);
  }

  private topicOf(arn: string | undefined): Topic {
    const topic = arn ? this.topics.get(arn) : undefined;
    if (!topic) throw snsError.notFound('Topic does not exist');
    return topic;
  }

  /** sns:<Action> on the topic: its Policy attribute and the caller's identity policies. */
  private authorize(ctx: SnsContext, action: string, topic: Topic): void {
    const decision = this.authorizer.authorize({
      principal: ctx.principal,
      action: `sns:${action}`,
      resource: topic.arn,
      resourceAccountId: topic.accountId,
      resourcePolicy: { name: `topic policy of ${topic.arn}`, document: topic.attributes.Policy },
      // AWS:SourceOwner (the default policy's condition) describes a publishing service's source
      // account, so for IAM callers the default policy grants nothing: their own policies decide.
      secure: ctx.secure,
      sourceIp: ctx.sourceIp,
    });
    if (decision.decision !== 'Allow') {
      const error = snsError.authorizationError(`User: ${ctx.principal.arn} is not authorized to perform: sns:${action} on resource: ${topic.arn}`);
      error.trace = decision.explanation;
      throw error;
    }
  }

  /** Actions on no existing topic (CreateTopic, the List calls): the caller's own policies decide. */
  private authorizeCaller(ctx: SnsContext, action: string, resource: string): void {
    const decision = this.authorizer.authorize({
      principal: ctx.principal,
      action: `sns:${action}`,
      resource,
      resourceAccountId: ctx.principal.accountId,
      secure: ctx.secure,
      sourceIp: ctx.sourceIp,
    });
    if (decision.decision !== 'Allow') {
      const error = snsError.authorizationError(`User: ${ctx.principal.arn} is not authorized to perform: sns:${action} on resource: ${resource}`);
      error.trace = decision.explanation;
      throw error;
    }
  }

  // Topics

  async createTopic(ctx: SnsContext, input: { name: string; attributes?: Record<string, string>; tags?: Array<{ key: string; value: string }> }) {
    const name = input.name;
    const attributes = { ...(input.attributes ?? {}) };
    const fifo = (attributes.FifoTopic ?? '').toLowerCase() === 'true';
    const validName = fifo ? /^[A-Za-z0-9_-]{1,251}\.fifo$/.test(name ?? '') : TOPIC_NAME.test(name ?? '');
    if (!validName) {
      throw snsError.invalidParameter(
        fifo || name?.endsWith('.fifo')
          ? 'Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.'
          : 'Invalid parameter: Topic Name',
      );
    }
    const accountId = ctx.principal.accountId;
    const arn = `arn:aws:sns:${this.region}:${accountId}:${name}`;
    this.authorizeCaller(ctx, 'CreateTopic', arn);
    const existing = this.topics.get(arn);
    if (existing) return { topicArn: existing.arn };
    if (attributes.Policy) this.checkPolicy(attributes.Policy);
    const topic: Topic = {
      arn,
      name,
      accountId,
      fifo,
      attributes: { Policy: attributes.Policy ?? defaultTopicPolicy(arn, accountId), DisplayName: '', ...attributes },
      tags: input.tags ?? [],
    };
    if (fifo) topic.attributes.FifoTopic = 'true';
    await this.saveTopic(topic);
    return { topicArn: arn };
  }

  async deleteTopic(ctx: SnsContext, input: { topicArn: string }) {
    const topic = this.topics.get(input.topicArn);
    if (!topic) return; // AWS: deleting a topic that does not exist succeeds.
    this.authorize(ctx, 'DeleteTopic', topic);
    for (const s of [...this.subscriptions.values()].filter((x) => x.topicArn === topic.arn)) {
      this.subscriptions.delete(s.arn);
      await this.store.deleteEntity('sns-subscription', s.arn);
    }
    this.topics.delete(topic.arn);
    await this.store.deleteEntity('sns-topic', topic.arn);
  }

  async listTopics(ctx: SnsContext, input: { nextToken?: string }) {
    this.authorizeCaller(ctx, 'ListTopics', `arn:aws:sns:${this.region}:${ctx.principal.accountId}:*`);
    const all = [...this.topics.values()].filter((t) => t.accountId === ctx.principal.accountId).sort((a, b) => (a.arn < b.arn ? -1 : 1));
    const { items, nextToken } = pageOf(all, input.nextToken);
    return { topics: items.map((t) => ({ topicArn: t.arn })), nextToken };
  }

  async getTopicAttributes(ctx: SnsContext, input: { topicArn: string }) {
    const topic = this.topicOf(input.topicArn);
    this.authorize(ctx, 'GetTopicAttributes', topic);
    const subs = [...this.subscriptions.values()].filter((s) => s.topicArn === topic.arn);
    return {
      attributes: {
        ...topic.attributes,
        TopicArn: topic.arn,
        Owner: topic.accountId,
        SubscriptionsConfirmed: String(subs.length),
        SubscriptionsPending: '0',
        SubscriptionsDeleted: '0',
      },
    };
  }

  async setTopicAttributes(ctx: SnsContext, input: { topicArn: string; attributeName: string; attributeValue?: string }) {
    const topic = this.topicOf(input.topicArn);
    this.authorize(ctx, 'SetTopicAttributes', topic);
    const settable = ['Policy', 'DisplayName', 'DeliveryPolicy', 'KmsMasterKeyId', 'ContentBasedDeduplication', 'SignatureVersion', 'TracingConfig'];
    if (!settable.includes(input.attributeName)) throw snsError.invalidParameter(`Invalid parameter: AttributeName`);
    const value = input.attributeValue ?? '';
    if (input.attributeName === 'Policy') this.checkPolicy(value);
    if (input.attributeName === 'SignatureVersion' && value !== '1' && value !== '2') throw snsError.invalidParameter('Invalid parameter: SignatureVersion');
    await this.updateTopic(topic, (t) => {
      t.attributes = { ...t.attributes, [input.attributeName]: value };
    });
  }

  private checkPolicy(policy: string): void {
    try {
      const parsed = JSON.parse(policy) as { Statement?: unknown };
      if (!parsed.Statement) throw new Error('no Statement');
    } catch {
      throw snsError.invalidParameter('Invalid parameter: Policy Error: null');
    }
  }

  // Subscriptions

  async subscribe(ctx: SnsContext, input: { topicArn: string; protocol: string; endpoint?: string; attributes?: Record<string, string>; returnSubscriptionArn?: boolean }) {
    const topic = this.topicOf(input.topicArn);
    this.authorize(ctx, 'Subscribe', topic);
    if (input.protocol !== 'sqs') throw snsError.invalidParameter(`Invalid parameter: Protocol: sealq delivers to sqs endpoints only`);
    const queueArn = parseArn(input.endpoint ?? '');
    if (!queueArn || queueArn.service !== 'sqs') throw snsError.invalidParameter('Invalid parameter: SQS endpoint ARN');
    const attributes = this.checkSubscriptionAttributes(input.attributes ?? {});
    const existing = [...this.subscriptions.values()].find((s) => s.topicArn === topic.arn && s.endpoint === input.endpoint);
    if (existing) return { subscriptionArn: existing.arn };
    const subscription: Subscription = {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      owner: ctx.principal.accountId,
      protocol: 'sqs',
      endpoint: input.endpoint!,
      attributes,
    };
    await this.saveSubscription(subscription);
    return { subscriptionArn: subscription.arn };
  }

  private checkSubscriptionAttributes(attributes: Record<string, string>): Record<string, string> {
    for (const [name, value] of Object.entries(attributes)) {
      if (!['RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy', 'DeliveryPolicy', 'SubscriptionRoleArn'].includes(name)) {
        throw snsError.invalidParameter(`Invalid parameter: Attributes Reason: Unknown attribute ${name}`);
      }
      if (name === 'RawMessageDelivery' && value !== 'true' && value !== 'false') throw snsError.invalidParameter('Invalid parameter: RawMessageDelivery');
      if (name === 'FilterPolicyScope' && value !== 'MessageAttributes' && value !== 'MessageBody') throw snsError.invalidParameter('Invalid parameter: FilterPolicyScope');
      if (name === 'FilterPolicy' && value !== '') {
        try {
          parseFilterPolicy(value);
        } catch (error) {
          if (error instanceof FilterPolicyError) throw snsError.invalidParameter(error.message);
          throw error;
        }
      }
      if (name === 'RedrivePolicy' && value !== '') {
        let target: unknown;
        try {
          target = (JSON.parse(value) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
        } catch {
          target = undefined;
        }
        if (typeof target !== 'string' || parseArn(target)?.service !== 'sqs') {
          throw snsError.invalidParameter('Invalid parameter: RedrivePolicy: deadLetterTargetArn is invalid');
        }
      }
    }
    return { ...attributes };
  }

  /** A subscription, if the caller may act on it: its owner, or whoever the topic's policy admits. */
  private subscriptionFor(ctx: SnsContext, arn: string, action: string): Subscription {
    const s = this.subscriptions.get(arn);
    if (!s) throw snsError.notFound('Subscription does not exist');
    if (s.owner !== ctx.principal.accountId || ctx.principal.type !== 'Account') {
      const topic = this.topics.get(s.topicArn);
      if (topic) this.authorize(ctx, action, topic);
      else if (s.owner !== ctx.principal.accountId) throw snsError.authorizationError(`User: ${ctx.principal.arn} is not authorized to perform: sns:${action}`);
    }
    return s;
  }

  async unsubscribe(ctx: SnsContext, input: { subscriptionArn: string }) {
    const s = this.subscriptionFor(ctx, input.subscriptionArn, 'Unsubscribe');
    this.subscriptions.delete(s.arn);
    await this.store.deleteEntity('sns-subscription', s.arn);
  }

  private view(s: Subscription) {
    return { subscriptionArn: s.arn, owner: s.owner, protocol: s.protocol, endpoint: s.endpoint, topicArn: s.topicArn };
  }

  async listSubscriptions(ctx: SnsContext, input: { nextToken?: string }) {
    this.authorizeCaller(ctx, 'ListSubscriptions', `arn:aws:sns:${this.region}:${ctx.principal.accountId}:*`);
    const mine = [...this.subscriptions.values()].filter((s) => s.owner === ctx.principal.accountId).sort((a, b) => (a.arn < b.arn ? -1 : 1));
    const { items, nextToken } = pageOf(mine, input.nextToken);
    return { subscriptions: items.map((s) => this.view(s)), nextToken };
  }

  async listSubscriptionsByTopic(ctx: SnsContext, input: { topicArn: string; nextToken?: string }) {
    const topic = this.topicOf(input.topicArn);
    this.authorize(ctx, 'ListSubscriptionsByTopic', topic);
    const ofTopic = [...this.subscriptions.values()].filter((s) => s.topicArn === topic.arn).sort((a, b) => (a.arn < b.arn ? -1 : 1));
    const { items, nextToken } = pageOf(ofTopic, input.nextToken);
    return { subscriptions: items.map((s) => this.view(s)), nextToken };
  }

  async getSubscriptionAttributes(ctx: SnsContext, input: { subscriptionArn: string }) {
    const s = this.subscriptionFor(ctx, input.subscriptionArn, 'GetSubscriptionAttributes');
    return {
      attributes: {
        RawMessageDelivery: 'false',
        ...s.attributes,
        SubscriptionArn: s.arn,
        TopicArn: s.topicArn,
        Owner: s.owner,
        Protocol: s.protocol,
        Endpoint: s.endpoint,
        ConfirmationWasAuthenticated: 'true',
        PendingConfirmation: 'false',
      },
    };
  }

  async setSubscriptionAttributes(ctx: SnsContext, input: { subscriptionArn: string; attributeName: string; attributeValue?: string }) {
    const s = this.subscriptionFor(ctx, input.subscriptionArn, 'SetSubscriptionAttributes');
    const checked = this.checkSubscriptionAttributes({ [input.attributeName]: input.attributeValue ?? '' });
    await this.updateSubscription(s, (doc) => {
      doc.attributes = { ...doc.attributes, ...checked };
    });
  }

  // Tags

  async tagResource(ctx: SnsContext, input: { resourceArn: string; tags: Array<{ key: string; value: string }> }) {
    const topic = this.topicOf(input.resourceArn);
    this.authorize(ctx, 'TagResource', topic);
    await this.updateTopic(topic, (doc) => {
      for (const t of input.tags ?? []) doc.tags = [...doc.tags.filter((x) => x.key !== t.key), { ...t }];
    });
  }

  async untagResource(ctx: SnsContext, input: { resourceArn: string; tagKeys: string[] }) {
    const topic = this.topicOf(input.resourceArn);
    this.authorize(ctx, 'UntagResource', topic);
    await this.updateTopic(topic, (doc) => {
      doc.tags = doc.tags.filter((t) => !(input.tagKeys ?? []).includes(t.key));
    });
  }

  async listTagsForResource(ctx: SnsContext, input: { resourceArn: string }) {
    const topic = this.topicOf(input.resourceArn);
    this.authorize(ctx, 'ListTagsForResource', topic);
    return { tags: topic.tags };
  }

  // Publishing

  /** The key service, for topics with KmsMasterKeyId (set by the composition root). */
  kms: KmsService | undefined;

  /**
   * AWS: publishing to an encrypted topic uses its KMS key as the publisher, through SNS: the
   * publisher needs kms:GenerateDataKey* and kms:Decrypt on it, or the publish fails with SNS's
   * KMS* error. The data key is bound to the topic ARN.
   */
  private useTopicKey(ctx: SnsContext, topic: Topic): void {
    const keyId = topic.attributes.KmsMasterKeyId;
    if (!keyId || !this.kms) return;
    const kms = this.kms;
    const kmsCtx = { principal: ctx.principal, secure: ctx.secure, sourceIp: ctx.sourceIp, viaService: `sns.${this.region}.amazonaws.com` };
    const context = { 'aws:sns:topicArn': topic.arn };
    try {
      const generated = kms.metered(kmsCtx, 'GenerateDataKey', context, (record) => {
        record.keyArn = kms.resolveKey(kmsCtx, keyId).key.arn;
        return kms.generateDataKeyFor(kmsCtx, keyId, 32, context, 'GenerateDataKey');
      });
      kms.metered(kmsCtx, 'Decrypt', context, (record) => {
        record.keyArn = generated.key.arn;
        return kms.decryptWith(kmsCtx, generated.blob, context, undefined);
      });
    } catch (error) {
      const mapped = error instanceof AwsError ? KMS_ERRORS[error.spec.shape] : undefined;
      if (!mapped) throw error;
      throw new AwsError(spec(mapped[0], mapped[1]), error instanceof Error ? error.message : '');
    }
  }

  async publish(ctx: SnsContext, input: PublishInput) {
    const topic = this.topicOf(input.topicArn ?? input.targetArn);
    this.authorize(ctx, 'Publish', topic);
    this.useTopicKey(ctx, topic);
    const prepared = this.prepare(topic, input);
    this.fanOut(ctx, topic, prepared);
    return { messageId: prepared.messageId, sequenceNumber: prepared.sequenceNumber };
  }

  async publishBatch(ctx: SnsContext, input: { topicArn: string; publishBatchRequestEntries: Array<PublishInput & { id: string }> }) {
    const topic = this.topicOf(input.topicArn);
    this.authorize(ctx, 'Publish', topic);
    const entries = input.publishBatchRequestEntries ?? [];
    if (entries.length === 0) throw snsError.emptyBatch();
    if (entries.length > 10) throw snsError.tooManyEntries();
    if (new Set(entries.map((e) => e.id)).size !== entries.length) throw snsError.batchIdsNotDistinct();
    this.useTopicKey(ctx, topic);
    const successful: Array<{ id: string; messageId: string; sequenceNumber?: string }> = [];
    const failed: Array<{ id: string; code: string; message: string; senderFault: boolean }> = [];
    for (const entry of entries) {
      try {
        const prepared = this.prepare(topic, entry);
        this.fanOut(ctx, topic, prepared);
        successful.push({ id: entry.id, messageId: prepared.messageId, sequenceNumber: prepared.sequenceNumber });
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        failed.push({ id: entry.id, code: error.spec.queryCode, message: error.message, senderFault: true });
      }
    }
    return { successful, failed };
  }

  private sequence = 0;

  private prepare(topic: Topic, input: PublishInput): Prepared {
    if (typeof input.message !== 'string' || input.message === '') throw snsError.invalidParameter('Invalid parameter: Empty message');
    if (Buffer.byteLength(input.message) > MAX_MESSAGE_BYTES) throw snsError.invalidParameter('Invalid parameter: Message too long');
    if (topic.fifo && !input.messageGroupId) throw snsError.invalidParameter('Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
    if (topic.fifo && !input.messageDeduplicationId && topic.attributes.ContentBasedDeduplication !== 'true') {
      throw snsError.invalidParameter('Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
    }
    if (!topic.fifo && (input.messageGroupId || input.messageDeduplicationId)) {
      // AWS: standard topics reject FIFO-only parameters.
      if (input.messageDeduplicationId) throw snsError.invalidParameter('Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type');
    }
    return {
      messageId: randomUUID(),
      sequenceNumber: topic.fifo ? String(10n ** 19n + BigInt(++this.sequence)) : undefined,
      message: input.message,
      subject: input.subject,
      attributes: input.messageAttributes ?? {},
      groupId: input.messageGroupId,
      // AWS: with ContentBasedDeduplication the id is the SHA-256 of the message body.
      deduplicationId:
        input.messageDeduplicationId ?? (topic.fifo && topic.attributes.ContentBasedDeduplication === 'true' ? createHash('sha256').update(input.message).digest('hex') : undefined),
      timestamp: new Date(this.clock.now()).toISOString(),
    };
  }

  /** Delivers to each subscription after Publish has answered, as SNS does. */
  private fanOut(ctx: SnsContext, topic: Topic, message: Prepared): void {
    const subs = [...this.subscriptions.values()].filter((s) => s.topicArn === topic.arn);
    for (const s of subs) {
      if (!this.passesFilter(s, message)) continue;
      if (!topic.fifo) {
        setImmediate(() => void this.deliver(ctx, topic, s, message, 0));
        continue;
      }
      // A FIFO topic's messages of one group reach each queue in publish order: each delivery waits
      // for the one before it, since concurrent sends may commit in any order on a shared database.
      const key = `${s.arn}\u0000${message.groupId ?? ''}`;
      const previous = this.fifoDeliveries.get(key) ?? Promise.resolve();
      const next = previous.then(() => this.deliver(ctx, topic, s, message, 0));
      this.fifoDeliveries.set(key, next);
      void next.finally(() => {
        if (this.fifoDeliveries.get(key) === next) this.fifoDeliveries.delete(key);
      });
    }
  }

  private passesFilter(s: Subscription, message: Prepared): boolean {
    const text = s.attributes.FilterPolicy;
    if (!text) return true;
    const policy = parseFilterPolicy(text);
    if (s.attributes.FilterPolicyScope === 'MessageBody') {
      try {
        const body = JSON.parse(message.message) as unknown;
        return body !== null && typeof body === 'object' && matchesFilter(policy, body as Record<string, never>);
      } catch {
        return false;
      }
    }
    const values: Record<string, string | number | string[]> = {};
    for (const [name, a] of Object.entries(message.attributes)) {
      if (a.dataType === 'Number') values[name] = Number(a.stringValue);
      else if (a.dataType === 'String.Array') {
        try {
          values[name] = JSON.parse(a.stringValue ?? '[]') as string[];
        } catch {
          values[name] = [];
        }
      } else if (a.stringValue !== undefined) values[name] = a.stringValue;
    }
    return matchesFilter(policy, values);
  }

  private async deliver(ctx: SnsContext, topic: Topic, s: Subscription, message: Prepared, attempt: number): Promise<void> {
    const raw = s.attributes.RawMessageDelivery === 'true';
    const record: DeliveryRecord = { time: this.clock.now(), topicArn: topic.arn, subscriptionArn: s.arn, endpoint: s.endpoint, outcome: 'delivered' };
    try {
      // Inside the try: a delivery runs after Publish answered, so nothing may escape it unhandled.
      if (!raw || s.attributes.RedrivePolicy) await this.signing();
      // AWS: with raw delivery more than 10 attributes cannot be carried; it is a client-side error.
      if (raw && Object.keys(message.attributes).length > 10) throw snsError.invalidParameter('Raw message delivery supports at most 10 message attributes.');
      await this.sendTo(ctx, topic, s.endpoint, raw ? message.message : this.envelope(ctx, topic, s, message), raw ? message.attributes : undefined, message);
    } catch (error) {
      record.errorCode = error instanceof AwsError ? error.spec.queryCode : 'InternalError';
      const clientSide = error instanceof AwsError && error.spec.fault === 'Sender';
      if (!clientSide && attempt < RETRY_DELAYS_MS.length) {
        setTimeout(() => void this.deliver(ctx, topic, s, message, attempt + 1), RETRY_DELAYS_MS[attempt]).unref();
        return;
      }
      record.outcome = 'failed';
      const dlq = s.attributes.RedrivePolicy ? (JSON.parse(s.attributes.RedrivePolicy) as { deadLetterTargetArn: string }).deadLetterTargetArn : undefined;
      if (dlq) {
        try {
          await this.sendTo(ctx, topic, dlq, this.envelope(ctx, topic, s, message), undefined, message);
          record.outcome = 'dead-lettered';
        } catch {
          /* the failure stays recorded as such */
        }
      }
    }
    this.deliveries.push(record);
    if (this.deliveries.length > 10_000) this.deliveries.splice(0, 1000);
    this.onDelivery(record);
  }

  private async sendTo(ctx: SnsContext, topic: Topic, queueArn: string, body: string, attributes: Record<string, SnsAttribute> | undefined, message: Prepared): Promise<void> {
    const principal = servicePrincipal('sns.amazonaws.com', topic.arn, topic.accountId);
    const arn = parseArn(queueArn);
    await this.sqs().deliver(
      {
        requestId: randomUUID(),
        accountId: arn?.accountId ?? topic.accountId,
        region: this.region,
        baseUrl: ctx.baseUrl,
        senderId: principal.userId,
        principal,
        secure: true,
      },
      {
        queueArn,
        messageBody: body,
        messageAttributes: attributes as MessageAttributes | undefined,
        messageGroupId: message.groupId,
        messageDeduplicationId: message.deduplicationId ?? (topic.fifo ? message.messageId : undefined),
      },
    );
  }

  /** The JSON notification SQS subscribers receive, signed as SNS signs it. */
  private envelope(ctx: SnsContext, topic: Topic, s: Subscription, m: Prepared): string {
    const version = topic.attributes.SignatureVersion === '2' ? '2' : '1';
    const signed = { Type: 'Notification' as const, MessageId: m.messageId, TopicArn: topic.arn, Subject: m.subject, Message: m.message, Timestamp: m.timestamp };
    const envelope: Record<string, unknown> = {
      Type: 'Notification',
      MessageId: m.messageId,
      ...(m.sequenceNumber ? { SequenceNumber: m.sequenceNumber } : {}),
      TopicArn: topic.arn,
      ...(m.subject !== undefined ? { Subject: m.subject } : {}),
      Message: m.message,
      Timestamp: m.timestamp,
      SignatureVersion: version,
      Signature: this.signer!.sign(signed, version),
      SigningCertURL: `${ctx.baseUrl}/_sealq/sns/SimpleNotificationService.pem`,
      UnsubscribeURL: `${ctx.baseUrl}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(s.arn)}`,
    };
    if (Object.keys(m.attributes).length > 0) {
      envelope.MessageAttributes = Object.fromEntries(
        Object.entries(m.attributes).map(([k, a]) => [k, { Type: a.dataType, Value: a.binaryValue ? a.binaryValue.toString('base64') : a.stringValue }]),
      );
    }
    return JSON.stringify(envelope);
  }
}

interface PublishInput {
  topicArn?: string;
  targetArn?: string;
  message: string;
  subject?: string;
  messageStructure?: string;
  messageAttributes?: Record<string, SnsAttribute>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

interface Prepared {
  messageId: string;
  sequenceNumber?: string;
  message: string;
  subject?: string;
  attributes: Record<string, SnsAttribute>;
  groupId?: string;
  deduplicationId?: string;
  timestamp: string;
}

function defaultTopicPolicy(arn: string, accountId: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish', 'SNS:TagResource', 'SNS:UntagResource', 'SNS:ListTagsForResource'],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  });
}

export const implementedSnsActions: ReadonlySet<string> = new Set([
  'CreateTopic', 'DeleteTopic', 'ListTopics', 'GetTopicAttributes', 'SetTopicAttributes',
  'Subscribe', 'Unsubscribe', 'ListSubscriptions', 'ListSubscriptionsByTopic',
  'GetSubscriptionAttributes', 'SetSubscriptionAttributes', 'Publish', 'PublishBatch',
  'TagResource', 'UntagResource', 'ListTagsForResource',
]);
