import { it, expect } from 'vitest';
import { SqliteStore } from '/work/main/src/storage/sqlite/sqlite-store.js';
const msg = (id: string) => ({ messageId: id, body: id, messageAttributes: null, systemAttributes: null, md5OfBody: 'x', md5OfMessageAttributes: null, md5OfSystemAttributes: null, senderId: 's', sentAt: 1000, visibleAt: 1000, groupId: null, deduplicationId: null, dedup: null });
it('probe', async () => {
  const s = new SqliteStore({ dataDir: ':memory:' });
  const { queue } = await s.createQueue({ accountId: 'a', name: 'q', fifo: false, attributes: {}, tags: {}, now: 1 });
  const [a] = await s.insertMessages(queue.id, [msg('m1')], 1000);
  const r = await s.receiveMessages(queue.id, { now: 1000, maxMessages: 1, visibleUntil: 2000, expiredAtOrBefore: 0, fifo: false, fifoScanLimit: 100, redrive: null });
  console.log(await s.deleteMessage(queue.id, r.messages[0].seq, r.messages[0].receiptToken!, null));
  const [b] = await s.insertMessages(queue.id, [msg('m2')], 1000);
  console.log(a, b);
  await s.deleteQueue(queue.id, 5);
  const q2 = await s.createQueue({ accountId: 'a', name: 'q', fifo: false, attributes: {}, tags: {}, now: 1 });
  console.log(queue.id, q2.queue.id);
  const p = s.createQueue({ accountId: 'a', name: 'z', fifo: false, attributes: {}, tags: {}, now: 1 });
  await s.close();
  console.log(await p);
  await new Promise((r) => setTimeout(r, 50));
});
