/**
 * No plaintext body on disk: unique canary strings sent to encrypted queues (SSE-SQS by default, and
 * SSE-KMS with a customer key) must not appear in anything the server stores: the data directory's
 * files (sealq.db, its -wal and -shm, anything else) and, on PostgreSQL, every table of its schema;
 * neither while the server runs nor after it closed. The control, a queue with SSE turned off,
 * proves the search finds a canary that is there.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardClosedServer, protocols, startTestServer, storedRunningAndClosed, type TestServer } from '../../support/sealq.js';
import { sqsAs } from '../identity/helpers.js';
import { kmsAttributes, newKey, receiveBodies, sseQueue } from './helpers.js';

type Mode = 'sse-sqs' | 'sse-kms' | 'plain';
const modes: Mode[] = ['sse-sqs', 'sse-kms', 'plain'];

const filesContaining = (files: Map<string, Buffer>, needle: string): string[] =>
  [...files].filter(([, bytes]) => bytes.includes(Buffer.from(needle, 'utf8'))).map(([name]) => name);

let server: TestServer;
/** canary text → where it was sent */
const canaries: Array<{ protocol: string; mode: Mode; via: 'SendMessage' | 'SendMessageBatch'; text: string }> = [];
let whileRunning: Map<string, Buffer>;
let afterClose: Map<string, Buffer>;

beforeAll(async () => {
  server = await startTestServer();
  const key = await newKey(server);
  for (const { name: protocol, sdk } of protocols) {
    const root = sqsAs(sdk, server.url);
    for (const mode of modes) {
      const attributes =
        mode === 'sse-kms' ? kmsAttributes(key.arn) : mode === 'plain' ? { SqsManagedSseEnabled: 'false' } : {};
      const q = await sseQueue(server, sdk, attributes, `canary-${mode}`);
      const single = `CANARY-${protocol}-${mode}-single-${randomBytes(12).toString('hex')}`;
      const batched = `CANARY-${protocol}-${mode}-batch-${randomBytes(12).toString('hex')}`;
      await root.send(new sdk.SendMessageCommand({ QueueUrl: q.url, MessageBody: single }));
      await root.send(
        new sdk.SendMessageBatchCommand({ QueueUrl: q.url, Entries: [{ Id: 'b1', MessageBody: batched }] }),
      );
      canaries.push({ protocol, mode, via: 'SendMessage', text: single }, { protocol, mode, via: 'SendMessageBatch', text: batched });
      // Received back once: the sends are committed, and the bodies round-trip.
      const { bodies } = await receiveBodies(sdk, root, q.url);
      expect(bodies).toEqual([single, batched].sort());
    }
  }
  ({ whileRunning, afterClose } = await storedRunningAndClosed(server));
});

afterAll(() => discardClosedServer(server));

describe('canary bodies on disk', () => {
  it('searches the database itself (SQLite: the files and the WAL; PostgreSQL: every table of the schema)', () => {
    if (server.postgres) {
      expect([...whileRunning.keys()]).toContain('table:sqs_messages');
      expect([...afterClose.keys()]).toContain('table:sqs_messages');
      return;
    }
    expect([...whileRunning.keys()]).toContain('sealq.db');
    expect([...afterClose.keys()]).toContain('sealq.db');
    expect([...whileRunning.keys()].some((f) => f.endsWith('-wal'))).toBe(true);
  });

  for (const { name: protocol } of protocols) {
    for (const mode of ['sse-sqs', 'sse-kms'] as const) {
      it(`finds no ${mode} canary (${protocol}, SendMessage and SendMessageBatch) in any file, running or closed`, () => {
        const mine = canaries.filter((c) => c.protocol === protocol && c.mode === mode);
        expect(mine).toHaveLength(2);
        for (const c of mine) {
          expect(filesContaining(whileRunning, c.text), `${c.via} canary while running`).toEqual([]);
          expect(filesContaining(afterClose, c.text), `${c.via} canary after close`).toEqual([]);
        }
      });
    }

    it(`control: finds the canary of an unencrypted queue (SqsManagedSseEnabled=false, ${protocol})`, () => {
      const mine = canaries.filter((c) => c.protocol === protocol && c.mode === 'plain');
      expect(mine).toHaveLength(2);
      for (const c of mine) {
        expect(filesContaining(whileRunning, c.text).length, `${c.via} canary while running`).toBeGreaterThan(0);
        expect(filesContaining(afterClose, c.text).length, `${c.via} canary after close`).toBeGreaterThan(0);
      }
    });
  }
});
