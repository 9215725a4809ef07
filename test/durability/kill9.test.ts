/**
 * Durability: a send or a delete that returned success survives `kill -9` of the server at any
 * moment, and a restart keeps queues, attributes, tags, dedup windows, in-flight state and move
 * tasks. The server runs as a real child process (the built CLI, as `npm start` runs it) on a
 * data directory that outlives it; the test kills it under load and restarts it on the same data.
 * Every test runs twice: on SQLite, and on PostgreSQL (a schema of its own, dropped afterwards).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Sqs from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, dropSchemas, ensureBuilt, killStartedProcesses, postgresUrl, SealqProcess, sleep } from '../support/processes.js';

/** One run of `sealq serve` on a data directory (on the engine that directory was made for). */
type ServerProcess = SealqProcess;
const ServerProcess = {
  start: (dataDir: string): Promise<ServerProcess> =>
    SealqProcess.start({ dataDir, args: ['--log-level', 'warn', ...storageFlags(dataDir)] }),
};

const dataDirs: string[] = [];
type Engine = 'sqlite' | 'postgres';
/** Data directories whose servers keep their state in PostgreSQL, in a schema named after the directory. */
const onPostgres = new Set<string>();
const schemaOf = (dataDir: string) => `sealq_kill9_${createHash('sha256').update(dataDir).digest('hex').slice(0, 24)}`;
const storageFlags = (dataDir: string) => (onPostgres.has(dataDir) ? ['--storage', postgresUrl, '--storage-schema', schemaOf(dataDir)] : []);
const newDataDir = (engine: Engine) => {
  const dir = mkdtempSync(join(tmpdir(), 'sealq-kill9-'));
  dataDirs.push(dir);
  if (engine === 'postgres') onPostgres.add(dir);
  return dir;
};

// `npm test` builds first; a bare `vitest run` on a fresh checkout may not have.
beforeAll(() => ensureBuilt(), 120_000);

afterAll(async () => {
  await killStartedProcesses();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  await dropSchemas([...onPostgres].map(schemaOf));
});

/** What the clients were told, and when. */
interface Ledger {
  /** body → MessageId, for every send the server acknowledged. */
  sent: Map<string, string>;
  /** Bodies of sends that failed (the server died): they may or may not have been stored. */
  inDoubt: Set<string>;
  /** Bodies whose deletion the server acknowledged while their receipt was certainly current. */
  deleted: Set<string>;
  /**
   * Bodies a delete was ever attempted for: the request may have been committed without the
   * answer arriving (the server died), or been acknowledged too late to be sure the receipt was
   * still current. These may be gone or not.
   */
  deleteAttempted: Set<string>;
  /** Deletions acknowledged too late to be sure the receipt was still current (not counted). */
  lateDeletes: number;
  /** Errors seen while the server was meant to be up. */
  unexpected: unknown[];
}

const VISIBILITY_SECONDS = 5;
const PRODUCERS = 3;
const CONSUMERS = 3;
/** Producers pause while this many acknowledged messages await deletion, to bound the final drain. */
const MAX_BACKLOG = 3000;

/**
 * One run of load against one server process: producers alternate SendMessage and
 * SendMessageBatch; consumers receive and delete (DeleteMessageBatch and DeleteMessage). Stops
 * at the first error once the server has been killed.
 */
class LoadRound {
  killed = false;
  readonly inFlight = { batchSends: new Set<number>(), batchDeletes: new Set<number>() };
  private workers: Promise<void>[] = [];
  private readonly client: Sqs.SQSClient;
  private readonly queueUrl: string;

  constructor(
    server: ServerProcess,
    queueName: string,
    private readonly round: number,
    private readonly ledger: Ledger,
  ) {
    this.client = server.client();
    this.queueUrl = server.queueUrl(queueName);
  }

  start(): void {
    for (let p = 0; p < PRODUCERS; p++) this.workers.push(this.guard(this.produce(p)));
    for (let c = 0; c < CONSUMERS; c++) this.workers.push(this.guard(this.consume(c)));
  }

  /** After the kill: wait for every worker to notice. */
  async finished(): Promise<void> {
    await Promise.all(this.workers);
    this.client.destroy();
  }

  private async guard(work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (error) {
      if (!this.killed) this.ledger.unexpected.push(error);
    }
  }

  private body(producer: number, n: number): string {
    // Unique, and of varied size (100 B – 4 KiB) so batches take a little time to write.
    return `r${this.round}-p${producer}-${n}-` + 'x'.repeat(100 + ((n * 997) % 4000));
  }

  private async produce(producer: number): Promise<void> {
    for (let n = 0; !this.killed; ) {
      if (this.ledger.sent.size - this.ledger.deleted.size >= MAX_BACKLOG) {
        await sleep(10);
        continue;
      }
      if (n % 3 === 0) {
        const body = this.body(producer, n++);
        try {
          const out = await this.client.send(new Sqs.SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
          this.ledger.sent.set(body, out.MessageId!);
        } catch (error) {
          this.ledger.inDoubt.add(body);
          throw error;
        }
      } else {
        const entries = Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: this.body(producer, n++) }));
        const token = n * 100 + producer;
        this.inFlight.batchSends.add(token);
        try {
          const out = await this.client.send(new Sqs.SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
          expect(out.Failed ?? []).toEqual([]);
          for (const ok of out.Successful ?? []) {
            this.ledger.sent.set(entries.find((e) => e.Id === ok.Id)!.MessageBody, ok.MessageId!);
          }
        } catch (error) {
          for (const e of entries) this.ledger.inDoubt.add(e.MessageBody);
          throw error;
        } finally {
          this.inFlight.batchSends.delete(token);
        }
      }
    }
  }

  private async consume(consumer: number): Promise<void> {
    for (let n = 0; !this.killed; n++) {
      const startedAt = Date.now();
      const received = await this.client.send(
        new Sqs.ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: VISIBILITY_SECONDS,
        }),
      );
      const messages = received.Messages ?? [];
      // The receipt is current until at least startedAt + the visibility timeout: an acknowledged
      // delete before then certainly deleted (a stale receipt "succeeds" without deleting).
      const certainUntil = startedAt + VISIBILITY_SECONDS * 1000 - 500;
      const acknowledge = (body: string) => {
        if (Date.now() < certainUntil) this.ledger.deleted.add(body);
        else this.ledger.lateDeletes++;
      };
      if (messages.length === 0) continue;
      for (const m of messages) this.ledger.deleteAttempted.add(m.Body!);
      if (messages.length === 1 || n % 4 === 0) {
        for (const m of messages) {
          await this.client.send(new Sqs.DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: m.ReceiptHandle }));
          acknowledge(m.Body!);
        }
      } else {
        const token = n * 100 + consumer;
        this.inFlight.batchDeletes.add(token);
        try {
          const out = await this.client.send(
            new Sqs.DeleteMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
            }),
          );
          expect(out.Failed ?? []).toEqual([]);
          for (const ok of out.Successful ?? []) acknowledge(messages[Number(ok.Id!.slice(1))].Body!);
        } finally {
          this.inFlight.batchDeletes.delete(token);
        }
      }
    }
  }
}

/** Waits until `condition` holds, polling every millisecond or so. */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

async function queueCounts(client: Sqs.SQSClient, queueUrl: string) {
  const { Attributes = {} } = await client.send(
    new Sqs.GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    notVisible: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
  };
}

// On PostgreSQL the promise rests on its synchronous_commit (on by default): the same tests hold it to it.
describe.each(['sqlite', 'postgres'] as const)('kill -9 durability (%s)', (engine) => {
  it('keeps every acknowledged send and delete across kills under load', { timeout: 60_000 }, async () => {
    const dataDir = newDataDir(engine);
    const queueName = 'kill9-load';
    const ledger: Ledger = {
      sent: new Map(),
      inDoubt: new Set(),
      deleted: new Set(),
      deleteAttempted: new Set(),
      lateDeletes: 0,
      unexpected: [],
    };

    let server = await ServerProcess.start(dataDir);
    {
      const client = server.client();
      await client.send(new Sqs.CreateQueueCommand({ QueueName: queueName }));
      client.destroy();
    }

    // Three kills at different moments: after a stretch of load, with a SendMessageBatch in
    // flight, and with a DeleteMessageBatch in flight.
    const kills: Array<{ after: number; waitFor?: (round: LoadRound) => boolean; what: string }> = [
      { after: 1500, what: 'after 1.5 s of load' },
      { after: 700, waitFor: (r) => r.inFlight.batchSends.size > 0, what: 'with a SendMessageBatch in flight' },
      { after: 1100, waitFor: (r) => r.inFlight.batchDeletes.size > 0, what: 'with a DeleteMessageBatch in flight' },
    ];
    const atKill: Array<{ what: string; batchSends: number; batchDeletes: number; sent: number; deleted: number }> = [];
    for (const [i, kill] of kills.entries()) {
      const round = new LoadRound(server, queueName, i, ledger);
      round.start();
      await sleep(kill.after);
      if (kill.waitFor) await until(() => kill.waitFor!(round), 8000, kill.what);
      atKill.push({
        what: kill.what,
        batchSends: round.inFlight.batchSends.size,
        batchDeletes: round.inFlight.batchDeletes.size,
        sent: ledger.sent.size,
        deleted: ledger.deleted.size,
      });
      round.killed = true;
      const exit = await server.kill('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      await round.finished();
      server = await ServerProcess.start(dataDir);
    }
    expect(atKill[1].batchSends).toBeGreaterThan(0);
    expect(atKill[2].batchDeletes).toBeGreaterThan(0);
    expect(ledger.unexpected).toEqual([]);
    // The load really ran, in every round.
    for (let i = 1; i < atKill.length; i++) expect(atKill[i].sent).toBeGreaterThan(atKill[i - 1].sent);
    expect(ledger.sent.size).toBeGreaterThan(300);
    expect(ledger.deleted.size).toBeGreaterThan(100);

    // Drain what is left. Messages that were in flight at the last kill come back after the
    // consumers' visibility timeout; the drain hides what it sees for longer than it runs.
    const client = server.client();
    const queueUrl = server.queueUrl(queueName);
    const drained = new Map<string, string>(); // body → MessageId
    const duplicates: string[] = [];
    // Must be there: every acknowledged send nobody tried to delete. Must not be there: every
    // acknowledged delete.
    const expected = [...ledger.sent.keys()].filter((body) => !ledger.deleteAttempted.has(body));
    const deadline = Date.now() + (VISIBILITY_SECONDS + 15) * 1000;
    for (;;) {
      const { Messages = [] } = await client.send(
        new Sqs.ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 120 }),
      );
      for (const m of Messages) {
        if (drained.has(m.Body!)) duplicates.push(m.Body!);
        drained.set(m.Body!, m.MessageId!);
      }
      if (Messages.length > 0) continue;
      const counts = await queueCounts(client, queueUrl);
      const everythingSeen = counts.visible === 0 && counts.delayed === 0 && counts.notVisible === drained.size;
      if (everythingSeen && expected.every((body) => drained.has(body))) break;
      if (Date.now() > deadline) break;
    }
    client.destroy();

    const missing = expected.filter((body) => !drained.has(body));
    const resurrected = [...drained.keys()].filter((body) => ledger.deleted.has(body));
    const unknown = [...drained.keys()].filter((body) => !ledger.sent.has(body) && !ledger.inDoubt.has(body));
    const wrongIds = [...drained].filter(([body, id]) => ledger.sent.has(body) && ledger.sent.get(body) !== id);
    const summary = {
      acknowledgedSends: ledger.sent.size,
      acknowledgedDeletes: ledger.deleted.size,
      inDoubtSends: ledger.inDoubt.size,
      inDoubtFound: [...ledger.inDoubt].filter((b) => drained.has(b)).length,
      lateDeletes: ledger.lateDeletes,
      deletesInDoubt: [...ledger.deleteAttempted].filter((b) => !ledger.deleted.has(b)).length,
      missingSample: missing.slice(0, 3).map((b) => b.slice(0, 30)),
      resurrectedSample: resurrected.slice(0, 3).map((b) => b.slice(0, 30)),
      drained: drained.size,
      atKill,
    };
    expect({ missing: missing.length, resurrected: resurrected.length, unknown: unknown.length, wrongIds: wrongIds.length }, JSON.stringify(summary)).toEqual({
      missing: 0,
      resurrected: 0,
      unknown: 0,
      wrongIds: 0,
    });
    expect(duplicates).toEqual([]);
    expect(expected.length).toBeGreaterThan(0);

    expect((await server.kill('SIGTERM')).code).toBe(0);
  });

  it('keeps queues, attributes, tags, dedup windows, in-flight state and move tasks across restarts', { timeout: 45_000 }, async () => {
    const dataDir = newDataDir(engine);
    let server = await ServerProcess.start(dataDir);
    // The engine under test is the one holding the state: no SQLite file when it is PostgreSQL.
    expect(existsSync(join(dataDir, 'sealq.db'))).toBe(engine === 'sqlite');
    let client = server.client();
    const url = (name: string) => server.queueUrl(name);
    const arn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

    // Queues with attributes and tags, some set at creation and some changed afterwards.
    await client.send(
      new Sqs.CreateQueueCommand({
        QueueName: 'state-std',
        Attributes: { VisibilityTimeout: '45', MessageRetentionPeriod: '86400', MaximumMessageSize: '2048' },
        tags: { team: 'storage', tier: 'gold' },
      }),
    );
    await client.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: url('state-std'), Attributes: { ReceiveMessageWaitTimeSeconds: '3' } }));
    await client.send(new Sqs.TagQueueCommand({ QueueUrl: url('state-std'), Tags: { added: 'later' } }));
    await client.send(new Sqs.UntagQueueCommand({ QueueUrl: url('state-std'), TagKeys: ['tier'] }));
    await client.send(new Sqs.CreateQueueCommand({ QueueName: 'state.fifo', Attributes: { FifoQueue: 'true' } }));
    await client.send(new Sqs.CreateQueueCommand({ QueueName: 'state-dlq' }));
    await client.send(new Sqs.CreateQueueCommand({ QueueName: 'state-dest' }));
    const redrivePolicy = JSON.stringify({ deadLetterTargetArn: arn('state-dlq'), maxReceiveCount: 3 });
    await client.send(new Sqs.CreateQueueCommand({ QueueName: 'state-src', Attributes: { RedrivePolicy: redrivePolicy } }));
    const attributesBefore = (
      await client.send(new Sqs.GetQueueAttributesCommand({ QueueUrl: url('state-std'), AttributeNames: ['All'] }))
    ).Attributes!;

    // A FIFO message whose deduplication window must outlive the process.
    const original = await client.send(
      new Sqs.SendMessageCommand({ QueueUrl: url('state.fifo'), MessageBody: 'first', MessageGroupId: 'g', MessageDeduplicationId: 'dedup-1' }),
    );

    // A move task that is still running when the server dies: 60 messages at 10 per second.
    const toMove = 60;
    for (let i = 0; i < toMove; i += 10) {
      await client.send(
        new Sqs.SendMessageBatchCommand({
          QueueUrl: url('state-dlq'),
          Entries: Array.from({ length: 10 }, (_, j) => ({ Id: `m${j}`, MessageBody: `dead-${i + j}` })),
        }),
      );
    }
    const { TaskHandle } = await client.send(
      new Sqs.StartMessageMoveTaskCommand({ SourceArn: arn('state-dlq'), DestinationArn: arn('state-dest'), MaxNumberOfMessagesPerSecond: 10 }),
    );
    expect(TaskHandle).toBeTruthy();
    const listTasks = async () =>
      (await client.send(new Sqs.ListMessageMoveTasksCommand({ SourceArn: arn('state-dlq'), MaxResults: 10 }))).Results ?? [];
    const deadline = Date.now() + 10_000;
    let movedBeforeKill = 0;
    while (movedBeforeKill < 3) {
      if (Date.now() > deadline) throw new Error('the move task made no progress');
      await sleep(20);
      movedBeforeKill = (await listTasks())[0]?.ApproximateNumberOfMessagesMoved ?? 0;
    }

    client.destroy();
    expect((await server.kill('SIGKILL')).signal).toBe('SIGKILL');
    server = await ServerProcess.start(dataDir);
    client = server.client();

    // Queues, attributes and tags.
    const { QueueUrls = [] } = await client.send(new Sqs.ListQueuesCommand({ QueueNamePrefix: 'state' }));
    expect(QueueUrls.map((u) => u.split('/').pop()).sort()).toEqual(['state-dest', 'state-dlq', 'state-src', 'state-std', 'state.fifo']);
    const attributesAfter = (
      await client.send(new Sqs.GetQueueAttributesCommand({ QueueUrl: url('state-std'), AttributeNames: ['All'] }))
    ).Attributes!;
    expect(attributesAfter).toEqual(attributesBefore);
    expect(attributesAfter).toMatchObject({ VisibilityTimeout: '45', MessageRetentionPeriod: '86400', MaximumMessageSize: '2048', ReceiveMessageWaitTimeSeconds: '3' });
    expect((await client.send(new Sqs.ListQueueTagsCommand({ QueueUrl: url('state-std') }))).Tags).toEqual({ team: 'storage', added: 'later' });
    const src = await client.send(new Sqs.GetQueueAttributesCommand({ QueueUrl: url('state-src'), AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(src.Attributes!.RedrivePolicy!)).toEqual(JSON.parse(redrivePolicy));
    const fifo = await client.send(new Sqs.GetQueueAttributesCommand({ QueueUrl: url('state.fifo'), AttributeNames: ['FifoQueue'] }));
    expect(fifo.Attributes).toEqual({ FifoQueue: 'true' });

    // The deduplication window: a retry after the restart is the original message.
    const retry = await client.send(
      new Sqs.SendMessageCommand({ QueueUrl: url('state.fifo'), MessageBody: 'retry', MessageGroupId: 'g', MessageDeduplicationId: 'dedup-1' }),
    );
    expect(retry.MessageId).toBe(original.MessageId);
    expect(retry.SequenceNumber).toBe(original.SequenceNumber);
    const next = await client.send(
      new Sqs.SendMessageCommand({ QueueUrl: url('state.fifo'), MessageBody: 'second', MessageGroupId: 'g', MessageDeduplicationId: 'dedup-2' }),
    );
    expect(BigInt(next.SequenceNumber!) > BigInt(original.SequenceNumber!)).toBe(true);
    const fifoMessages = await client.send(new Sqs.ReceiveMessageCommand({ QueueUrl: url('state.fifo'), MaxNumberOfMessages: 10 }));
    expect(fifoMessages.Messages?.map((m) => m.Body)).toEqual(['first', 'second']);

    // The move task resumes by itself and finishes.
    const resumed = await listTasks();
    expect(resumed).toHaveLength(1);
    expect(resumed[0].Status).toBe('RUNNING');
    expect(resumed[0].ApproximateNumberOfMessagesMoved).toBeGreaterThan(0);
    expect(resumed[0].ApproximateNumberOfMessagesMoved).toBeLessThan(toMove);
    let status = resumed[0].Status;
    const finishBy = Date.now() + 20_000;
    while (status === 'RUNNING') {
      if (Date.now() > finishBy) throw new Error('the move task did not finish after the restart');
      await sleep(100);
      status = (await listTasks())[0].Status;
    }
    expect(status).toBe('COMPLETED');
    expect(await queueCounts(client, url('state-dest'))).toEqual({ visible: toMove, notVisible: 0, delayed: 0 });
    expect(await queueCounts(client, url('state-dlq'))).toEqual({ visible: 0, notVisible: 0, delayed: 0 });

    // In-flight state across a clean restart: a received message stays hidden, and its receipt
    // handle still deletes it.
    await client.send(new Sqs.SendMessageCommand({ QueueUrl: url('state-std'), MessageBody: 'held' }));
    const held = await client.send(new Sqs.ReceiveMessageCommand({ QueueUrl: url('state-std'), VisibilityTimeout: 600, WaitTimeSeconds: 0 }));
    expect(held.Messages?.map((m) => m.Body)).toEqual(['held']);
    client.destroy();
    expect((await server.kill('SIGTERM')).code).toBe(0);

    server = await ServerProcess.start(dataDir);
    client = server.client();
    const again = await client.send(new Sqs.ReceiveMessageCommand({ QueueUrl: url('state-std'), WaitTimeSeconds: 0 }));
    expect(again.Messages ?? []).toEqual([]);
    expect(await queueCounts(client, url('state-std'))).toEqual({ visible: 0, notVisible: 1, delayed: 0 });
    await client.send(new Sqs.DeleteMessageCommand({ QueueUrl: url('state-std'), ReceiptHandle: held.Messages![0].ReceiptHandle }));
    expect(await queueCounts(client, url('state-std'))).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    client.destroy();
    expect((await server.kill('SIGTERM')).code).toBe(0);
  });
});
