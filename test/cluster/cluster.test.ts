/**
 * Several sealq nodes on one PostgreSQL database: real server processes (the built CLI) on one
 * fresh schema, each with its own data directory, all with the same root credentials and KMS root
 * key. A queue made through one node is usable through the others at once; messages sent through
 * one node are received and deleted through others; long polls wake across nodes; FIFO order, the
 * one-in-flight-per-group rule and deduplication hold across nodes; acknowledged messages survive
 * `kill -9` of a node under load; a message move task outlives the node that drove it. A second,
 * fresh cluster checks the key material nodes make on first use.
 *
 * In the first cluster, the kill -9 test kills node 3 and the move-task test kills node 2: they
 * run in this order, last.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Kms from '@aws-sdk/client-kms';
import * as S3 from '@aws-sdk/client-s3';
import * as Sqs from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  dropSchemas,
  ensureBuilt,
  killStartedProcesses,
  postgresReachable,
  postgresUrl,
  processCredentials,
  SealqProcess,
  sleep,
} from '../support/processes.js';

// CI always has the database, so there a missing one fails the run instead of skipping it.
const postgresUp = Boolean(process.env.CI) || (await postgresReachable());

const arn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

interface Node {
  name: string;
  server: SealqProcess;
  sqs: Sqs.SQSClient;
  url(queue: string): string;
}

/** Nodes on one fresh schema, all started with the same root credentials and KMS root key. */
class Cluster {
  readonly schema: string;
  readonly nodes: Node[] = [];
  private readonly rootKey = randomBytes(32).toString('base64');
  private readonly dataDirs: string[] = [];

  constructor(label: string) {
    this.schema = `sealq_cluster_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  }

  /** Starts node number `index` (0-based; its place in `nodes`). */
  async startNode(index: number): Promise<Node> {
    const name = `node${index + 1}`;
    const dataDir = mkdtempSync(join(tmpdir(), `sealq-cluster-${name}-`));
    this.dataDirs.push(dataDir);
    const server = await SealqProcess.start({
      dataDir,
      args: ['--log-level', 'warn', '--storage', postgresUrl, '--storage-schema', this.schema, '--storage-pool-size', '6'],
      env: { SEALQ_ROOT_KEY: this.rootKey },
    });
    const node: Node = { name, server, sqs: server.client(), url: (queue) => server.queueUrl(queue) };
    this.nodes[index] = node;
    return node;
  }

  /** SIGKILLs whatever still runs, removes the data directories and drops the schema. */
  async stop(): Promise<void> {
    const nodes = this.nodes.filter((n) => n !== undefined);
    for (const node of nodes) node.sqs.destroy();
    await Promise.all(
      nodes.filter((n) => n.server.child.exitCode === null && n.server.child.signalCode === null).map((n) => n.server.kill('SIGKILL')),
    );
    for (const dir of this.dataDirs) rmSync(dir, { recursive: true, force: true });
    await dropSchemas([this.schema]);
  }
}

/** Creates a queue through `via` and waits until each of `others` knows it; returns how long that took. */
async function createQueueOn(via: Node, name: string, attributes: Record<string, string>, others: Node[]): Promise<number> {
  await via.sqs.send(new Sqs.CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const createdAt = performance.now();
  await Promise.all(others.filter((n) => n !== via).map((n) => waitForQueue(n, name, 2000)));
  return performance.now() - createdAt;
}

/** Polls DescribeKey through a node's KMS client until the key is known there. */
async function waitForKey(kms: Kms.KMSClient, keyId: string): Promise<void> {
  const deadline = performance.now() + 2000;
  for (;;) {
    try {
      await kms.send(new Kms.DescribeKeyCommand({ KeyId: keyId }));
      return;
    } catch (error) {
      if ((error as Error).name !== 'NotFoundException' || performance.now() > deadline) throw error;
    }
    await sleep(5);
  }
}

/** Polls GetQueueUrl through `node` until the queue is known there (or `timeoutMs` passes). */
async function waitForQueue(node: Node, name: string, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return (await node.sqs.send(new Sqs.GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    } catch (error) {
      if ((error as Error).name !== 'QueueDoesNotExist' || performance.now() > deadline) throw error;
    }
    await sleep(5);
  }
}

async function counts(node: Node, queue: string) {
  const { Attributes = {} } = await node.sqs.send(
    new Sqs.GetQueueAttributesCommand({
      QueueUrl: node.url(queue),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    notVisible: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
  };
}

async function attribute(node: Node, queue: string, name: Sqs.QueueAttributeName): Promise<string | undefined> {
  const { Attributes = {} } = await node.sqs.send(new Sqs.GetQueueAttributesCommand({ QueueUrl: node.url(queue), AttributeNames: [name] }));
  return Attributes[name];
}

const receive = (node: Node, queue: string, input: Partial<Sqs.ReceiveMessageCommandInput> = {}) =>
  node.sqs
    .send(new Sqs.ReceiveMessageCommand({ QueueUrl: node.url(queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 0, ...input }))
    .then((out) => out.Messages ?? []);

beforeAll(() => ensureBuilt(), 120_000);

describe.skipIf(!postgresUp)('a cluster of three nodes on one PostgreSQL schema', () => {
  const cluster = new Cluster('main');
  const nodes = cluster.nodes;
  const [n1, n2, n3] = [0, 1, 2].map((i) => () => nodes[i]);
  const createQueue = (via: Node, name: string, attributes: Record<string, string> = {}, others = nodes) =>
    createQueueOn(via, name, attributes, others);

  beforeAll(async () => {
    // All three together, so they race to open the schema and to make what is made once.
    await Promise.all([0, 1, 2].map((i) => cluster.startNode(i)));
  }, 60_000);

  afterAll(() => cluster.stop());

  it('starts three nodes on one schema', () => {
    expect(nodes).toHaveLength(3);
    expect(new Set(nodes.map((n) => n.server.url)).size).toBe(3);
  });

  it('a queue created through one node is usable through the others at once', async () => {
    const name = `created-${randomBytes(3).toString('hex')}`;
    // Unknown everywhere to begin with.
    for (const node of nodes) {
      await expect(node.sqs.send(new Sqs.GetQueueUrlCommand({ QueueName: name }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    }
    const propagation = await createQueue(n1(), name, { VisibilityTimeout: '17' });
    expect(propagation).toBeLessThan(1000);

    // Usable through nodes 2 and 3, with the attributes it was created with.
    for (const node of [n2(), n3()]) {
      const { QueueUrl } = await node.sqs.send(new Sqs.GetQueueUrlCommand({ QueueName: name }));
      expect(QueueUrl).toBe(node.url(name));
      expect(await attribute(node, name, 'VisibilityTimeout')).toBe('17');
      await node.sqs.send(new Sqs.SendMessageCommand({ QueueUrl: QueueUrl, MessageBody: `via ${node.name}` }));
    }
    const got = await receive(n1(), name, { WaitTimeSeconds: 1 });
    expect(got.map((m) => m.Body).sort()).toEqual(['via node2', 'via node3']);

    // An attribute change through node 2 reaches node 3.
    await n2().sqs.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: n2().url(name), Attributes: { VisibilityTimeout: '42' } }));
    const changedAt = performance.now();
    while ((await attribute(n3(), name, 'VisibilityTimeout')) !== '42') {
      expect(performance.now() - changedAt, 'attribute change propagation').toBeLessThan(2000);
      await sleep(5);
    }
    expect(performance.now() - changedAt).toBeLessThan(1000);

    // A deletion through node 3 reaches nodes 1 and 2.
    await n3().sqs.send(new Sqs.DeleteQueueCommand({ QueueUrl: n3().url(name) }));
    const deletedAt = performance.now();
    for (const node of [n1(), n2()]) {
      for (;;) {
        const gone = await node.sqs.send(new Sqs.GetQueueUrlCommand({ QueueName: name })).then(
          () => false,
          (error: Error) => error.name === 'QueueDoesNotExist',
        );
        if (gone) break;
        expect(performance.now() - deletedAt, 'deletion propagation').toBeLessThan(2000);
        await sleep(5);
      }
    }
    expect(performance.now() - deletedAt).toBeLessThan(1000);
  });

  it('a message sent through node 1 is received through node 2 and deleted with that receipt handle through node 3', async () => {
    const name = `relay-${randomBytes(3).toString('hex')}`;
    await createQueue(n1(), name);
    const sent = await n1().sqs.send(new Sqs.SendMessageCommand({ QueueUrl: n1().url(name), MessageBody: 'hello across nodes' }));

    const got = await receive(n2(), name, { VisibilityTimeout: 60, WaitTimeSeconds: 1 });
    expect(got.map((m) => [m.MessageId, m.Body])).toEqual([[sent.MessageId, 'hello across nodes']]);

    // In flight everywhere, not just on node 2.
    for (const node of nodes) expect(await receive(node, name)).toEqual([]);
    expect(await counts(n1(), name)).toEqual({ visible: 0, notVisible: 1, delayed: 0 });

    await n3().sqs.send(new Sqs.DeleteMessageCommand({ QueueUrl: n3().url(name), ReceiptHandle: got[0].ReceiptHandle }));

    // Gone: not even a receive that would make it visible again at once finds it.
    for (const node of nodes) expect(await receive(node, name, { VisibilityTimeout: 0 })).toEqual([]);
    for (const node of nodes) expect(await counts(node, name)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
  });

  it('FIFO: a receive retried with the same ReceiveRequestAttemptId on another node gets the same messages and handles', async () => {
    const name = `attempt-${randomBytes(3).toString('hex')}.fifo`;
    await createQueue(n1(), name, { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    for (const body of ['a', 'b', 'c']) {
      await n1().sqs.send(new Sqs.SendMessageCommand({ QueueUrl: n1().url(name), MessageBody: body, MessageGroupId: 'g' }));
    }
    const attempt = { MaxNumberOfMessages: 2, VisibilityTimeout: 60, ReceiveRequestAttemptId: 'retry-1' };
    const first = await receive(n2(), name, attempt);
    expect(first.map((m) => m.Body)).toEqual(['a', 'b']);
    const retried = await receive(n3(), name, attempt);
    expect(retried.map((m) => [m.MessageId, m.ReceiptHandle])).toEqual(first.map((m) => [m.MessageId, m.ReceiptHandle]));
    // A different attempt finds the group in flight.
    expect(await receive(n1(), name, { ...attempt, ReceiveRequestAttemptId: 'other' })).toEqual([]);
  });

  it('an S3 object written through node 1 is read, copied and deleted through the others; a conditional write is decided across nodes', async () => {
    const s3 = (node: Node) =>
      new S3.S3Client({ endpoint: node.server.url, region: 'us-east-1', credentials: processCredentials, forcePathStyle: true, maxAttempts: 1 });
    const [c1, c2, c3] = [s3(n1()), s3(n2()), s3(n3())];
    try {
      const bucket = `cluster-${randomBytes(3).toString('hex')}`;
      await c1.send(new S3.CreateBucketCommand({ Bucket: bucket }));
      const body = randomBytes(150_000);
      await c1.send(new S3.PutObjectCommand({ Bucket: bucket, Key: 'k', Body: body }));
      const read = async (client: S3.S3Client, key: string) =>
        Buffer.from(await (await client.send(new S3.GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
      // The object's record reaches node 2 through the change feed; its data is in the database.
      await expect.poll(() => read(c2, 'k').then((b) => b.equals(body), () => false), { timeout: 5000 }).toBe(true);
      await c2.send(new S3.CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/k` }));
      await expect.poll(() => read(c3, 'copy').then((b) => b.equals(body), () => false), { timeout: 5000 }).toBe(true);
      await c3.send(new S3.DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
      await expect.poll(() => read(c1, 'k').then(() => 'found', (e: { name?: string }) => e.name), { timeout: 5000 }).toBe('NoSuchKey');

      // If-None-Match: * through two nodes at once: exactly one write takes the key, every time.
      for (let i = 0; i < 8; i++) {
        const key = `contested-${i}`;
        const outcomes = await Promise.all(
          [c1, c2].map((client, n) =>
            client.send(new S3.PutObjectCommand({ Bucket: bucket, Key: key, Body: `from node ${n + 1}`, IfNoneMatch: '*' })).then(
              () => 'written',
              (e: { name?: string }) => e.name,
            ),
          ),
        );
        expect(outcomes.sort(), key).toEqual(['PreconditionFailed', 'written']);
      }
    } finally {
      for (const c of [c1, c2, c3]) c.destroy();
    }
  });

  it('a long poll on node 2 wakes within milliseconds of a send through node 3', async () => {
    const name = `wake-${randomBytes(3).toString('hex')}`;
    await createQueue(n1(), name);
    const pollStarted = performance.now();
    let returnedAt = 0;
    const polling = receive(n2(), name, { WaitTimeSeconds: 10 }).then((messages) => {
      returnedAt = performance.now();
      return messages;
    });
    await sleep(300);
    expect(returnedAt, 'the long poll returned before anything was sent').toBe(0);
    const sendStarted = performance.now();
    const sent = await n3().sqs.send(new Sqs.SendMessageCommand({ QueueUrl: n3().url(name), MessageBody: 'wake up' }));
    const messages = await polling;
    expect(messages.map((m) => [m.MessageId, m.Body])).toEqual([[sent.MessageId, 'wake up']]);
    const latency = returnedAt - sendStarted;
    // Typically ~20 ms; far below the 10 s wait, so the wake-up came through the change feed.
    expect(latency, `woke ${latency.toFixed(0)} ms after the send`).toBeLessThan(1000);
    expect(returnedAt - pollStarted).toBeGreaterThanOrEqual(290);
  });

  it('FIFO: order within each group and the one-in-flight-per-group rule hold across nodes', { timeout: 45_000 }, async () => {
    const name = `order-${randomBytes(3).toString('hex')}.fifo`;
    // Long enough that no message comes back to another consumer while its holder works.
    await createQueue(n1(), name, { FifoQueue: 'true', VisibilityTimeout: '60' });
    const GROUPS = 4;
    const PER_GROUP = 40;
    const body = (g: number, i: number) => `g${g}-${i}`;

    // Producers: one per group, each group's messages in order, round-robin across the nodes.
    const sequenceNumbers = new Map<number, bigint[]>();
    let producing = GROUPS;
    /** Set when the test ends early, so no worker outlives it. */
    let stopped = false;
    const producers = Array.from({ length: GROUPS }, async (_, g) => {
      const sequence: bigint[] = [];
      sequenceNumbers.set(g, sequence);
      try {
        for (let i = 0; i < PER_GROUP && !stopped; i++) {
          const node = nodes[(g + i) % nodes.length];
          const out = await node.sqs.send(
            new Sqs.SendMessageCommand({
              QueueUrl: node.url(name),
              MessageBody: body(g, i),
              MessageGroupId: `group-${g}`,
              MessageDeduplicationId: body(g, i),
            }),
          );
          sequence.push(BigInt(out.SequenceNumber!));
          if (i % 8 === 7) await sleep(20); // let consumers catch up now and then, so groups interleave
        }
      } finally {
        producing--;
      }
    });

    // Consumers: one per node; each deletes all it got before receiving again.
    interface Hold {
      consumer: number;
      group: string;
      /** When the receive answered: the group was certainly held from then on… */
      from: number;
      /** …until the first delete of its messages was sent. */
      until: number;
    }
    interface ReceiveCall {
      consumer: number;
      sentAt: number;
      answeredAt: number;
      groups: Set<string>;
    }
    const holds: Hold[] = [];
    const calls: ReceiveCall[] = [];
    const receivedByGroup = new Map<string, string[]>();
    const total = GROUPS * PER_GROUP;
    let received = 0;
    const deadline = performance.now() + 30_000;
    const consumers = nodes.map(async (node, c) => {
      for (let n = 0; (received < total || producing > 0) && !stopped; n++) {
        if (performance.now() > deadline) throw new Error(`consumer ${c}: gave up with ${received} of ${total} received`);
        const sentAt = performance.now();
        const messages = await receive(node, name, {
          MaxNumberOfMessages: 1 + ((n * 7 + c * 3) % 5),
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['MessageGroupId'],
        });
        const answeredAt = performance.now();
        const groups = new Set(messages.map((m) => m.Attributes!.MessageGroupId!));
        calls.push({ consumer: c, sentAt, answeredAt, groups });
        for (const m of messages) {
          const group = m.Attributes!.MessageGroupId!;
          const list = receivedByGroup.get(group) ?? [];
          list.push(m.Body!);
          receivedByGroup.set(group, list);
        }
        received += messages.length;
        if (messages.length === 0) continue;
        // "Processing" for a moment: the group stays in flight while the other consumers ask for it.
        await sleep(10 + (n % 4) * 10);
        const releasedAt = performance.now();
        for (const group of groups) holds.push({ consumer: c, group, from: answeredAt, until: releasedAt });
        // Delete through the nodes in turn (mostly not the one that received), one by one or in a batch.
        const deleter = nodes[(c + n) % nodes.length];
        if (n % 2 === 0) {
          for (const m of messages) {
            await deleter.sqs.send(new Sqs.DeleteMessageCommand({ QueueUrl: deleter.url(name), ReceiptHandle: m.ReceiptHandle }));
          }
        } else {
          const out = await deleter.sqs.send(
            new Sqs.DeleteMessageBatchCommand({
              QueueUrl: deleter.url(name),
              Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
            }),
          );
          expect(out.Failed ?? []).toEqual([]);
        }
      }
    });
    try {
      await Promise.all([...producers, ...consumers]);
    } finally {
      stopped = true;
      await Promise.allSettled([...producers, ...consumers]);
    }

    // Every message, once, and per group in send order.
    expect(received).toBe(total);
    for (let g = 0; g < GROUPS; g++) {
      expect(receivedByGroup.get(`group-${g}`), `group-${g}`).toEqual(Array.from({ length: PER_GROUP }, (_, i) => body(g, i)));
      // Sequence numbers grow in send order, whichever node took the send.
      const sequence = sequenceNumbers.get(g)!;
      for (let i = 1; i < sequence.length; i++) expect(sequence[i] > sequence[i - 1], `group-${g} sequence at ${i}`).toBe(true);
    }
    // No receive (sent and answered entirely while another consumer surely held a group) got that group.
    const overlaps = calls.flatMap((call) =>
      holds
        .filter((h) => h.consumer !== call.consumer && call.groups.has(h.group) && call.sentAt >= h.from && call.answeredAt <= h.until)
        .map((h) => `${h.group}: consumer ${call.consumer} received it while consumer ${h.consumer} held it`),
    );
    expect(overlaps).toEqual([]);
    // The groups really were spread over the consumers (so the rule was exercised across nodes).
    expect(new Set(holds.map((h) => h.consumer)).size).toBeGreaterThan(1);
    expect(await counts(n1(), name)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });

    // Deduplication across nodes: the same MessageDeduplicationId through two nodes is one message.
    const dedup = `dedup-${randomBytes(3).toString('hex')}.fifo`;
    await createQueue(n1(), dedup, { FifoQueue: 'true' });
    const first = await n1().sqs.send(
      new Sqs.SendMessageCommand({ QueueUrl: n1().url(dedup), MessageBody: 'first', MessageGroupId: 'g', MessageDeduplicationId: 'same' }),
    );
    const second = await n2().sqs.send(
      new Sqs.SendMessageCommand({ QueueUrl: n2().url(dedup), MessageBody: 'second', MessageGroupId: 'g', MessageDeduplicationId: 'same' }),
    );
    const third = await n3().sqs.send(
      new Sqs.SendMessageCommand({ QueueUrl: n3().url(dedup), MessageBody: 'third', MessageGroupId: 'other', MessageDeduplicationId: 'same' }),
    );
    expect(second.MessageId).toBe(first.MessageId);
    expect(third.MessageId).toBe(first.MessageId);
    expect(second.SequenceNumber).toBe(first.SequenceNumber);
    expect(await counts(n3(), dedup)).toEqual({ visible: 1, notVisible: 0, delayed: 0 });
    const only = await receive(n3(), dedup, { WaitTimeSeconds: 1 });
    expect(only.map((m) => [m.MessageId, m.Body])).toEqual([[first.MessageId, 'first']]);
  });

  it(
    'every acknowledged message survives kill -9 of a node under load, and its in-flight messages come back after their visibility timeout',
    { timeout: 60_000 },
    async () => {
      const name = `survive-${randomBytes(3).toString('hex')}`;
      const VISIBILITY_MS = 2000;
      await createQueue(n1(), name, { VisibilityTimeout: String(VISIBILITY_MS / 1000) });
      const [node1, node2, node3] = [n1(), n2(), n3()];
      const survivors = [node1, node2];
      let node3Dead = false;

      /** MessageId → body, for every send the server acknowledged. */
      const acknowledged = new Map<string, string>();
      const acknowledgedVia = [0, 0, 0];
      let acknowledgedBeforeKill = 0;
      let failedSends = 0;
      /** Every receipt: id, the node, when the receive was sent and when it answered. */
      const receipts: Array<{ id: string; node: Node; sentAt: number; answeredAt: number }> = [];
      /** Deletes acknowledged while the receipt was certainly current: id → when acknowledged. */
      const surelyDeleted = new Map<string, number>();
      const receivedIds = new Set<string>();
      const unexpected: unknown[] = [];
      /** load: producers and consumers run; drain: consumers only, until the queue is empty; done: stop. */
      type Phase = 'load' | 'drain' | 'done';
      let phase = 'load' as Phase;
      let producersDone = false;

      /** A call failed: fine (and a reason to move on) only if it went to node 3 and node 3 is dead or dying. */
      const tolerate = (node: Node, error: unknown) => {
        if (node === node3 && node3Dead) return;
        unexpected.push(error);
        throw error;
      };

      const producer = async (p: number) => {
        let node = nodes[p % nodes.length];
        for (let n = 0; phase === 'load'; n++) {
          if (node === node3 && node3Dead) node = survivors[p % survivors.length];
          const body = `p${p}-${n}`;
          try {
            const out = await node.sqs.send(new Sqs.SendMessageCommand({ QueueUrl: node.url(name), MessageBody: body }));
            acknowledged.set(out.MessageId!, body);
            acknowledgedVia[nodes.indexOf(node)]++;
            if (!node3Dead) acknowledgedBeforeKill++;
          } catch (error) {
            failedSends++;
            tolerate(node, error);
          }
          if (n % 5 === 4) await sleep(5);
        }
      };

      const consumer = async (c: number) => {
        let node = nodes[c % nodes.length];
        while (phase !== 'done') {
          if (node === node3 && node3Dead) node = survivors[c % survivors.length];
          const sentAt = performance.now();
          let messages: Sqs.Message[];
          try {
            messages = await receive(node, name, { WaitTimeSeconds: 1 });
          } catch (error) {
            tolerate(node, error);
            continue;
          }
          const answeredAt = performance.now();
          for (const m of messages) receipts.push({ id: m.MessageId!, node, sentAt, answeredAt });
          if (messages.length === 0) {
            // Once every producer has finished, `acknowledged` is complete.
            if (producersDone && phase === 'drain') {
              const left = await counts(node, name);
              if (left.visible + left.notVisible + left.delayed === 0 && [...acknowledged.keys()].every((id) => receivedIds.has(id))) {
                phase = 'done';
              }
            }
            continue;
          }
          for (const m of messages) receivedIds.add(m.MessageId!);
          try {
            const out = await node.sqs.send(
              new Sqs.DeleteMessageBatchCommand({
                QueueUrl: node.url(name),
                Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
              }),
            );
            expect(out.Failed ?? []).toEqual([]);
            const ackedAt = performance.now();
            if (ackedAt < sentAt + VISIBILITY_MS - 300) {
              for (const ok of out.Successful ?? []) surelyDeleted.set(messages[Number(ok.Id)].MessageId!, ackedAt);
            }
          } catch (error) {
            tolerate(node, error);
          }
        }
      };

      const producers = Promise.allSettled(Array.from({ length: 6 }, (_, p) => producer(p)));
      const consumers = Promise.allSettled(Array.from({ length: 3 }, (_, c) => consumer(c)));

      let drained = false;
      /** MessageId → when the receive that took it was sent. */
      const held = new Map<string, number>();
      let killedAt = 0;
      try {
        await sleep(1000);
        // A consumer on node 3 takes a few messages and never deletes them (the other consumers keep
        // up with the producers, so it may take a few receives; well under the visibility timeout).
        const holdingSince = performance.now();
        while (held.size < 3 && (held.size === 0 || performance.now() - holdingSince < 800)) {
          const sentAt = performance.now();
          for (const m of await receive(node3, name, { MaxNumberOfMessages: 5 - held.size, WaitTimeSeconds: 1 })) held.set(m.MessageId!, sentAt);
        }
        // …and node 3 dies with them in flight, under load.
        node3Dead = true;
        const exit = await node3.server.kill('SIGKILL');
        expect(exit.signal).toBe('SIGKILL');
        killedAt = performance.now();

        await sleep(1500);
        phase = 'drain';
        await producers;
        producersDone = true;
        const drainDeadline = performance.now() + 20_000;
        while ((phase as Phase) === 'drain' && unexpected.length === 0 && performance.now() < drainDeadline) await sleep(50);
        drained = (phase as Phase) === 'done';
      } finally {
        phase = 'done'; // whatever happened, no worker outlives the test
        await Promise.all([producers, consumers]);
      }
      expect(unexpected).toEqual([]);
      expect(drained, 'the queue drained').toBe(true);

      // The load really ran through every node, and on after the kill.
      expect(acknowledgedVia.every((n) => n > 0), `acknowledged via each node: ${acknowledgedVia}`).toBe(true);
      expect(acknowledgedBeforeKill).toBeGreaterThan(30);
      expect(acknowledged.size - acknowledgedBeforeKill).toBeGreaterThan(30);

      // Every acknowledged send was received at least once.
      const missing = [...acknowledged].filter(([id]) => !receivedIds.has(id)).map(([, body]) => body);
      expect(missing, `${acknowledged.size} acknowledged, ${failedSends} failed sends`).toEqual([]);
      // Nothing was received that nobody sent (failed sends may have been stored: their ids are unknown, so allow up to that many).
      const unknown = [...receivedIds].filter((id) => !acknowledged.has(id));
      expect(unknown.length).toBeLessThanOrEqual(failedSends);
      // An acknowledged delete stuck, whichever node took it.
      const resurrected = receipts.filter((r) => surelyDeleted.has(r.id) && r.sentAt > surelyDeleted.get(r.id)!);
      expect(resurrected.map((r) => acknowledged.get(r.id))).toEqual([]);
      expect(surelyDeleted.size).toBeGreaterThan(30);

      // The messages held in flight through node 3 came back through node 1 or 2, after their visibility timeout.
      for (const [id, heldSentAt] of held) {
        const again = receipts.filter((r) => r.id === id && r.sentAt > heldSentAt);
        expect(again.length, `held message ${acknowledged.get(id)} received again`).toBeGreaterThan(0);
        for (const r of again) {
          expect(r.node.name, `held message ${acknowledged.get(id)} received again through`).not.toBe('node3');
          // The receive that took it was served after `heldSentAt`; this one before `answeredAt`.
          expect(r.answeredAt - heldSentAt, `held message ${acknowledged.get(id)} came back too early`).toBeGreaterThanOrEqual(VISIBILITY_MS - 20);
        }
      }
      // And the queue is empty, as seen from both survivors.
      for (const node of survivors) expect(await counts(node, name)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
      expect(performance.now() - killedAt).toBeLessThan(25_000);
    },
  );

  it('a message move task started through one node finishes even when that node dies', { timeout: 45_000 }, async () => {
    const [node1, node2] = [n1(), n2()];
    const live = [node1, node2];
    const tag = randomBytes(3).toString('hex');
    const source = `move-src-${tag}`;
    const dlq = `move-dlq-${tag}`;
    const COUNT = 30;
    await createQueue(node1, dlq, {}, live);
    await createQueue(node2, source, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn(dlq), maxReceiveCount: 1 }) }, live);
    for (let i = 0; i < COUNT; i += 10) {
      await node1.sqs.send(
        new Sqs.SendMessageBatchCommand({
          QueueUrl: node1.url(source),
          Entries: Array.from({ length: 10 }, (_, j) => ({ Id: `m${j}`, MessageBody: `moved-${i + j}` })),
        }),
      );
    }
    // Received once and put back at once: the next receive moves each to the dead-letter queue.
    const deadline = performance.now() + 10_000;
    while ((await counts(node1, dlq)).visible < COUNT) {
      if (performance.now() > deadline) throw new Error('the messages did not reach the dead-letter queue');
      await receive(node1, source, { VisibilityTimeout: 0 });
    }
    expect(await counts(node2, source)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });

    const { TaskHandle } = await node2.sqs.send(new Sqs.StartMessageMoveTaskCommand({ SourceArn: arn(dlq), MaxNumberOfMessagesPerSecond: 5 }));
    expect(TaskHandle).toBeTruthy();
    const task = async () =>
      (await node1.sqs.send(new Sqs.ListMessageMoveTasksCommand({ SourceArn: arn(dlq), MaxResults: 10 }))).Results ?? [];
    await sleep(1000);
    const beforeKill = await task();
    expect(beforeKill).toHaveLength(1);
    expect(beforeKill[0].Status).toBe('RUNNING');
    expect(beforeKill[0].ApproximateNumberOfMessagesMoved).toBeLessThan(COUNT);
    // Node 2 drives the task: messages are on the move.
    expect((await counts(node1, source)).visible).toBeGreaterThan(0);

    expect((await node2.server.kill('SIGKILL')).signal).toBe('SIGKILL');
    const killedAt = performance.now();
    const movedAtKill = (await counts(node1, source)).visible;
    expect(movedAtKill).toBeLessThan(COUNT);

    let status = beforeKill[0].Status;
    while (status === 'RUNNING') {
      if (performance.now() - killedAt > 25_000) throw new Error('the move task did not finish after its node died');
      await sleep(200);
      status = (await task())[0].Status;
    }
    expect(status).toBe('COMPLETED');
    expect(await counts(node1, source)).toEqual({ visible: COUNT, notVisible: 0, delayed: 0 });
    expect(await counts(node1, dlq)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
  });
});

describe.skipIf(!postgresUp)('a fresh cluster: key material made on first use', () => {
  const cluster = new Cluster('fresh');
  const nodes = cluster.nodes;

  // Three nodes started together on an empty schema: none has made any key yet.
  beforeAll(async () => {
    await Promise.all([0, 1, 2].map((i) => cluster.startNode(i)));
  }, 60_000);

  afterAll(async () => {
    await cluster.stop();
    await killStartedProcesses(); // anything a failed start left behind
  });

  it('SSE-SQS: messages sent through every node at once, before any node made the SSE-SQS key, are readable through every node', async () => {
    const name = `sse-${randomBytes(3).toString('hex')}`;
    await createQueueOn(nodes[0], name, {}, nodes);
    // New queues encrypt with the SSE-SQS key by default.
    expect(await attribute(nodes[0], name, 'SqsManagedSseEnabled')).toBe('true');
    // The first encrypted sends of the cluster, through every node at once.
    const bodies = nodes.flatMap((node) => [0, 1, 2].map((i) => `${node.name}-${i}`));
    await Promise.all(
      nodes.flatMap((node) => [0, 1, 2].map((i) => node.sqs.send(new Sqs.SendMessageCommand({ QueueUrl: node.url(name), MessageBody: `${node.name}-${i}` })))),
    );
    // Each node reads all of them (VisibilityTimeout 0 leaves them for the next node).
    const seen: Record<string, string[] | string> = {};
    for (const node of nodes) {
      const got = new Set<string>();
      try {
        for (let i = 0; i < 10 && got.size < bodies.length; i++) {
          for (const m of await receive(node, name, { VisibilityTimeout: 0 })) got.add(m.Body!);
        }
        seen[node.name] = [...got].sort();
      } catch (error) {
        seen[node.name] = `${(error as Error).name}: ${(error as Error).message}`;
      }
    }
    expect(seen).toEqual(Object.fromEntries(nodes.map((n) => [n.name, [...bodies].sort()])));
  });

  it('KMS: two nodes rotating one key on demand at the same moment keep both versions; every node reads what each sealed', async () => {
    const kms = nodes.map((n) => n.server.kmsClient());
    const { KeyMetadata } = await kms[0].send(new Kms.CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    const name = `sse-kms-${randomBytes(3).toString('hex')}`;
    await createQueueOn(nodes[0], name, { KmsMasterKeyId: keyId }, nodes);
    await Promise.all(nodes.map((n, i) => n !== nodes[0] && waitForKey(kms[i], keyId)));

    await Promise.all([kms[0].send(new Kms.RotateKeyOnDemandCommand({ KeyId: keyId })), kms[1].send(new Kms.RotateKeyOnDemandCommand({ KeyId: keyId }))]);
    // Right away, before the change feed may have carried either rotation: each node seals under its own view.
    const blobs = await Promise.all(kms.map((k, i) => k.send(new Kms.EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`blob from node ${i + 1}`) }))));
    await Promise.all(nodes.map((n) => n.sqs.send(new Sqs.SendMessageCommand({ QueueUrl: n.url(name), MessageBody: `message via ${n.name}` }))));
    // Another write to the key through the third node, which may not have seen either rotation yet.
    await kms[2].send(new Kms.TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'after', TagValue: 'rotation' }] }));

    for (const [i, k] of kms.entries()) {
      const opened = await Promise.all(blobs.map(async (b) => Buffer.from((await k.send(new Kms.DecryptCommand({ CiphertextBlob: b.CiphertextBlob }))).Plaintext!).toString()));
      expect(opened, `decrypted through node ${i + 1}`).toEqual(['blob from node 1', 'blob from node 2', 'blob from node 3']);
    }
    const got = new Set<string>();
    for (let i = 0; i < 10 && got.size < 3; i++) for (const m of await receive(nodes[2], name, { WaitTimeSeconds: 1 })) got.add(m.Body!);
    expect([...got].sort()).toEqual(nodes.map((n) => `message via ${n.name}`).sort());
    for (const k of kms) k.destroy();
  });

  it('SNS: every node signs with the same certificate, even when all are first asked for it at once', async () => {
    // The certificate notifications are signed with (their SigningCertURL), public: asked of every node at once.
    const certificates = await Promise.all(
      nodes.map(async (node) => {
        const response = await fetch(`${node.server.url}/_sealq/sns/SimpleNotificationService.pem`);
        expect(response.status).toBe(200);
        return response.text();
      }),
    );
    for (const pem of certificates) expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(new Set(certificates).size, 'distinct certificates across the three nodes').toBe(1);
  });
});
