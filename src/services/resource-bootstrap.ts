import type { EventsService } from './events/events-service.js';
import { rootPrincipal } from './iam/identity-directory.js';
import type { KmsService } from './kms/kms-service.js';
import type { S3Service } from './s3/s3-service.js';
import type { SnsService } from './sns/sns-service.js';
import type { SqsService } from './sqs/sqs-service.js';
import type { RequestContext } from './sqs/types.js';
import { AwsError } from '../shared/aws-error.js';

const doc = (d: unknown): string => (typeof d === 'string' ? d : JSON.stringify(d));

/** The resources part of a bootstrap file's account: keys, queues, topics, rules, buckets. */
export interface BootstrapResources {
  id: string;
  keys?: Array<{ alias: string; description?: string; policy?: unknown }>;
  queues?: Array<{ name: string; attributes?: Record<string, unknown>; tags?: Record<string, string> }>;
  topics?: Array<{
    name: string;
    attributes?: Record<string, string>;
    subscriptions?: Array<{ queue: string; attributes?: Record<string, unknown> }>;
  }>;
  rules?: Array<{
    name: string;
    eventBus?: string;
    eventPattern?: unknown;
    schedule?: string;
    targets: Array<{ id: string; queue: string; input?: string; inputPath?: string; messageGroupId?: string; deadLetterQueue?: string }>;
  }>;
  buckets?: Array<{
    name: string;
    /** Queue configurations, set (and validated with an s3:TestEvent) as PutBucketNotificationConfiguration does. */
    notifications?: Array<{ id?: string; queue: string; events: string[]; prefix?: string; suffix?: string }>;
  }>;
}

/**
 * Stands up what a bootstrap file declares — KMS keys (by alias), queues, topics with their
 * subscriptions, EventBridge rules with their targets, S3 buckets with their notification
 * configurations — through the services' own operations, as
 * each account's root user, so every rule that applies to an API call applies here too. Starting
 * again with the same file changes nothing; changed attributes are applied.
 */
export async function applyResourceBootstrap(
  accounts: BootstrapResources[],
  services: { sqs: SqsService; kms: KmsService; sns: SnsService; events: EventsService; s3: S3Service; region: string },
): Promise<void> {
  for (const account of accounts) {
    const principal = rootPrincipal(account.id);
    const kmsCtx = { principal, secure: true };
    const queueArn = (q: string) => (q.startsWith('arn:') ? q : `arn:aws:sqs:${services.region}:${account.id}:${q}`);
    const sqsCtx: RequestContext = {
      requestId: 'bootstrap',
      accountId: account.id,
      region: services.region,
      baseUrl: 'http://bootstrap',
      senderId: account.id,
      principal,
      secure: true,
    };
    const at = (what: string, run: () => Promise<unknown>) =>
      run().catch((error: unknown) => {
        const message = error instanceof AwsError ? `${error.spec.queryCode}: ${error.message}` : String(error);
        throw new Error(`bootstrap: account ${account.id} ${what}: ${message}`);
      });

    for (const key of account.keys ?? []) {
      await at(`key ${key.alias}`, async () => {
        const alias = key.alias.startsWith('alias/') ? key.alias : `alias/${key.alias}`;
        let existing: string | undefined;
        try {
          existing = services.kms.resolveKey(kmsCtx, alias).key.keyId;
        } catch {
          existing = undefined;
        }
        if (existing) {
          if (key.policy !== undefined) await services.kms.putKeyPolicy(kmsCtx, { keyId: existing, policy: doc(key.policy), bypassPolicyLockoutSafetyCheck: true });
          return;
        }
        const { keyMetadata } = await services.kms.createKey(kmsCtx, {
          description: key.description,
          policy: key.policy === undefined ? undefined : doc(key.policy),
          bypassPolicyLockoutSafetyCheck: true,
        });
        await services.kms.createAlias(kmsCtx, { aliasName: alias, targetKeyId: keyMetadata.keyId });
      });
    }

    for (const queue of account.queues ?? []) {
      await at(`queue ${queue.name}`, async () => {
        const attributes = Object.fromEntries(Object.entries(queue.attributes ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : doc(v)]));
        const existing = services.sqs.queues.byArn(queueArn(queue.name));
        if (existing) {
          if (Object.keys(attributes).length > 0) {
            await services.sqs.setQueueAttributes(sqsCtx, { queueUrl: `http://bootstrap/${account.id}/${queue.name}`, attributes });
          }
          return;
        }
        await services.sqs.createQueue(sqsCtx, { queueName: queue.name, attributes, tags: queue.tags });
      });
    }

    const snsCtx = { principal, secure: true, baseUrl: 'http://bootstrap' };
    for (const topic of account.topics ?? []) {
      await at(`topic ${topic.name}`, async () => {
        const { topicArn } = await services.sns.createTopic(snsCtx, { name: topic.name, attributes: topic.attributes });
        for (const s of topic.subscriptions ?? []) {
          const attributes = Object.fromEntries(Object.entries(s.attributes ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : doc(v)]));
          await services.sns.subscribe(snsCtx, { topicArn, protocol: 'sqs', endpoint: queueArn(s.queue), attributes });
        }
      });
    }

    const eventsCtx = { principal, secure: true };
    for (const rule of account.rules ?? []) {
      await at(`rule ${rule.name}`, async () => {
        await services.events.putRule(eventsCtx, {
          name: rule.name,
          eventBusName: rule.eventBus,
          eventPattern: rule.eventPattern === undefined ? undefined : doc(rule.eventPattern),
          scheduleExpression: rule.schedule,
        });
        const { failedEntries } = await services.events.putTargets(eventsCtx, {
          rule: rule.name,
          eventBusName: rule.eventBus,
          targets: rule.targets.map((t) => ({
            id: t.id,
            arn: queueArn(t.queue),
            input: t.input,
            inputPath: t.inputPath,
            sqsParameters: t.messageGroupId ? { messageGroupId: t.messageGroupId } : undefined,
            deadLetterConfig: t.deadLetterQueue ? { arn: queueArn(t.deadLetterQueue) } : undefined,
          })),
        });
        if (failedEntries.length > 0) throw new Error(failedEntries.map((f) => `${f.targetId}: ${f.errorMessage}`).join('; '));
      });
    }

    const s3Ctx = { principal, requestId: 'bootstrap', region: services.region, secure: true };
    for (const bucket of account.buckets ?? []) {
      await at(`bucket ${bucket.name}`, async () => {
        try {
          await services.s3.createBucket(s3Ctx, { bucket: bucket.name });
        } catch (error) {
          if (!(error instanceof AwsError && error.spec.queryCode === 'BucketAlreadyOwnedByYou')) throw error;
        }
        if (bucket.notifications === undefined) return;
        const wanted = bucket.notifications.map((n) => ({
            id: n.id,
            queueArn: queueArn(n.queue),
            events: n.events,
            filterRules: [
              ...(n.prefix !== undefined ? [{ name: 'prefix', value: n.prefix }] : []),
              ...(n.suffix !== undefined ? [{ name: 'suffix', value: n.suffix }] : []),
            ],
          }));
        // Unchanged since the last start: no new s3:TestEvent.
        const current = await services.s3.getBucketNotification(s3Ctx, { bucket: bucket.name });
        const shape = (c: { id?: string; queueArn?: string; events: string[]; filterRules: Array<{ name?: string; value?: string }> }) =>
          JSON.stringify([c.id ?? '', c.queueArn, [...c.events].sort(), c.filterRules.map((r) => [r.name?.toLowerCase(), r.value])]);
        if (current.length === wanted.length && wanted.every((w, i) => shape(w) === shape(current[i]) && w.id !== undefined)) return;
        await services.s3.putBucketNotification(s3Ctx, { bucket: bucket.name, queueConfigurations: wanted });
      });
    }
  }
}
