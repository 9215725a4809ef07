// The benchmark workloads. Each scenario gets its own fresh queue, runs for a
// fixed duration with N concurrent loops, and reports per-call latencies, message
// throughput, server CPU (via /proc, when the pid is known) and client CPU.

import { performance } from 'node:perf_hooks';
import { describeFailure } from './sqs-client.mjs';
import { processTreeCpuMicros } from './proc.mjs';

export const WORKLOADS = {
  send: { title: 'SendMessage', calls: ['SendMessage'] },
  batch: { title: 'SendMessageBatch(10)', calls: ['SendMessageBatch'] },
  e2e: { title: 'end-to-end', calls: ['SendMessageBatch', 'ReceiveMessage', 'DeleteMessageBatch'] },
  // Not in the default set: fills a queue with --backlog-messages (run by lib/backlog.mjs).
  backlog: { title: 'backlog', calls: ['SendMessageBatch', 'ReceiveMessage', 'DeleteMessageBatch'] },
};
export const DEFAULT_WORKLOADS = ['send', 'batch', 'e2e'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Bodies are `<seq>:<filler>` padded to the exact byte size; the filler needs no
// JSON escaping, so request bodies can be assembled by plain concatenation.
const FILLER = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'.repeat(4096); // 256 KiB
export const MIN_BODY_SIZE = 24;

export function makeBody(seq, size) {
  const head = seq + ':';
  return head + FILLER.slice(0, size - head.length);
}

/** True when `body` is exactly makeBody(seq, size), without building the string. */
export function bodyMatches(body, seq, size) {
  if (body.length !== size) return false;
  const head = seq + ':';
  return body.startsWith(head) && body.startsWith(FILLER.slice(0, size - head.length), head.length);
}

export function parseSeq(body) {
  const i = body.indexOf(':');
  if (i <= 0 || i > 16) return -1;
  const n = Number(body.slice(0, i));
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/** Per-call-type latency and error accounting. */
export class CallStats {
  constructor() {
    this.lat = new Float64Array(8192);
    this.n = 0;
    this.errors = 0;
    this.entryFailures = 0;
    this.errorSample = null;
  }
  ok(ms) {
    if (this.n === this.lat.length) {
      const next = new Float64Array(this.lat.length * 2);
      next.set(this.lat);
      this.lat = next;
    }
    this.lat[this.n++] = ms;
  }
  fail(r) {
    this.errors++;
    if (!this.errorSample) this.errorSample = describeFailure(r);
  }
  summary() {
    const a = this.lat.slice(0, this.n).sort();
    const pct = (p) => (a.length ? a[Math.min(a.length - 1, Math.max(0, Math.ceil(p * a.length) - 1))] : null);
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += a[i];
    return {
      calls: this.n + this.errors,
      errors: this.errors,
      entryFailures: this.entryFailures,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      meanMs: a.length ? sum / a.length : null,
      maxMs: a.length ? a[a.length - 1] : null,
      errorSample: this.errorSample,
    };
  }
}

/**
 * Runs one scenario against one target.
 * @param {object} o
 * @param {import('./sqs-client.mjs').SqsJsonClient} o.client
 * @param {string} o.queueName
 * @param {'send'|'batch'|'e2e'} o.workload
 * @param {number} o.bodySize
 * @param {number} o.concurrency
 * @param {number} o.durationMs
 * @param {number} o.waitSeconds long-poll WaitTimeSeconds for the e2e consumers
 * @param {number} o.drainTimeoutMs e2e drain bound after producers stop
 * @param {number} o.maxBacklog e2e: producers pause while this many messages are
 *   sent (or being sent) but not yet deleted; 0 = unbounded
 * @param {number|null} o.pid server pid for CPU accounting, or null
 * @param {import('./sqs-client.mjs').SqsJsonClient[]} [o.clients] several nodes of one cluster
 *   (o.client is then clients[0]): the queue is created through the first, every node must answer
 *   GetQueueUrl for it before the load starts, and loop i works through node i % N (e2e consumers
 *   through node (i + 1) % N, so messages are received through another node than they were sent)
 * @param {number[]} [o.pids] the nodes' pids; server CPU is their sum (instead of o.pid)
 * @param {() => Promise<number|null>} [o.roundTrips] reads the cluster's database round-trip
 *   counter (the sum over its nodes), or null when it cannot; read before and after the load
 */
export async function runScenario(o) {
  const { client, workload, bodySize, concurrency } = o;
  const clients = o.clients ?? [client];
  const pids = o.pids ?? (o.pid ? [o.pid] : []);
  const setupAgent = client.agent(1);
  let queueUrl;
  try {
    ({ QueueUrl: queueUrl } = await client.json(setupAgent, 'CreateQueue', {
      QueueName: o.queueName,
      ...(o.queueAttributes ? { Attributes: o.queueAttributes } : {}),
    }));
  } catch (e) {
    setupAgent.destroy();
    throw e;
  }
  if (typeof queueUrl !== 'string') throw new Error(`CreateQueue returned no QueueUrl for ${o.queueName}`);

  const cpuOf = () => {
    if (!pids.length) return null;
    let sum = 0;
    for (const pid of pids) {
      const us = processTreeCpuMicros(pid);
      if (us == null) return null;
      sum += us;
    }
    return sum;
  };
  let result;
  let srvBefore = null;
  let srvAfter = null;
  let cli = null;
  let rtBefore = null;
  let rtAfter = null;
  let queueVisibleMs = null;
  try {
    let queueUrls = [queueUrl];
    if (clients.length > 1) {
      ({ urls: queueUrls, ms: queueVisibleMs } = await queueOnEveryNode(clients, setupAgent, o.queueName, QUEUE_VISIBLE_TIMEOUT_MS));
    }
    const run = { ...o, clients, queueUrls };
    // the scrape first, then the CPU counters, so the scrape's cost falls outside the CPU figure
    if (o.roundTrips) rtBefore = await o.roundTrips();
    srvBefore = cpuOf();
    const cliBefore = process.cpuUsage();
    if (workload === 'send') result = await sendWorkload(run, false);
    else if (workload === 'batch') result = await sendWorkload(run, true);
    else if (workload === 'e2e') result = await e2eWorkload(run);
    else throw new Error(`unknown workload ${workload}`);
    // read the counters before DeleteQueue so its cost is not attributed
    srvAfter = cpuOf();
    cli = process.cpuUsage(cliBefore);
    if (o.roundTrips && rtBefore != null) rtAfter = await o.roundTrips();
  } finally {
    try {
      await client.json(setupAgent, 'DeleteQueue', { QueueUrl: queueUrl });
    } catch {
      /* best effort */
    }
    setupAgent.destroy();
  }

  const msgs = result.messages;
  const serverCpuUs = srvBefore != null && srvAfter != null ? srvAfter - srvBefore : null;
  const clientCpuUs = cli.user + cli.system;
  const wallUs = result.elapsedS * 1e6;
  const roundTrips = rtBefore != null && rtAfter != null ? rtAfter - rtBefore : null;
  // Round trips per call only where the scenario makes one kind of call (send, batch).
  const callNames = Object.keys(result.calls);
  const onlyCalls = callNames.length === 1 ? result.calls[callNames[0]].calls : 0;
  return {
    workload,
    bodySize,
    concurrency,
    queueUrl,
    nodes: clients.length,
    queueVisibleMs,
    ...result,
    serverCpuUs,
    serverCpuUsPerMsg: serverCpuUs != null && msgs > 0 ? serverCpuUs / msgs : null,
    serverCpuPct: serverCpuUs != null && wallUs > 0 ? (100 * serverCpuUs) / wallUs : null,
    clientCpuUs,
    clientCpuUsPerMsg: msgs > 0 ? clientCpuUs / msgs : null,
    clientCpuPct: wallUs > 0 ? (100 * clientCpuUs) / wallUs : null,
    roundTrips,
    roundTripsPerMsg: roundTrips != null && msgs > 0 ? roundTrips / msgs : null,
    roundTripsPerCall: roundTrips != null && onlyCalls > 0 ? { [callNames[0]]: roundTrips / onlyCalls } : null,
  };
}

/** How long a queue created through node 1 may take to show on the other nodes. */
const QUEUE_VISIBLE_TIMEOUT_MS = 10_000;

/**
 * Polls GetQueueUrl on every node until each one knows the queue; returns each node's QueueUrl
 * and how long it took. The nodes share queue records through their database.
 */
async function queueOnEveryNode(clients, agent, queueName, timeoutMs) {
  const urls = clients.map(() => null);
  const lastError = clients.map(() => null);
  const body = JSON.stringify({ QueueName: queueName });
  const t0 = performance.now();
  for (;;) {
    await Promise.all(
      clients.map(async (c, k) => {
        if (urls[k]) return;
        const r = await c.call(agent, 'GetQueueUrl', body, 2000);
        let url = null;
        if (r.status === 200) {
          try {
            url = JSON.parse(r.body).QueueUrl;
          } catch {
            /* not JSON */
          }
        }
        if (typeof url === 'string') urls[k] = url;
        else lastError[k] = describeFailure(r);
      }),
    );
    const ms = performance.now() - t0;
    if (urls.every(Boolean)) return { urls, ms };
    if (ms > timeoutMs) {
      const missing = urls.flatMap((u, k) => (u ? [] : [`node ${k + 1} (${clients[k].endpoint}: ${lastError[k]})`]));
      throw new Error(
        `queue ${queueName} was created through node 1 but after ${timeoutMs / 1000} s GetQueueUrl still fails on ` +
          `${missing.join(', ')}: the nodes do not share new queues (a change feed between nodes is needed)`,
      );
    }
    await sleep(5);
  }
}

async function sendWorkload(o, batch) {
  const { clients, bodySize: size, concurrency } = o;
  const qjs = o.queueUrls.map((u) => JSON.stringify(u));
  const action = batch ? 'SendMessageBatch' : 'SendMessage';
  const stats = new CallStats();
  // one agent for all nodes: http.Agent keeps its sockets per host and port
  const agent = clients[0].agent(concurrency);
  let seq = 0;
  let messages = 0;
  const start = performance.now();
  const deadline = start + o.durationMs;

  async function loop(i) {
    const client = clients[i % clients.length];
    const qj = qjs[i % clients.length];
    while (performance.now() < deadline) {
      let body;
      if (batch) {
        body = '{"QueueUrl":' + qj + ',"Entries":[';
        for (let i = 0; i < 10; i++) {
          body += (i ? ',{"Id":"' : '{"Id":"') + i + '","MessageBody":"' + makeBody(seq++, size) + '"}';
        }
        body += ']}';
      } else {
        body = '{"QueueUrl":' + qj + ',"MessageBody":"' + makeBody(seq++, size) + '"}';
      }
      const t0 = performance.now();
      const r = await client.call(agent, action, body);
      const t1 = performance.now();
      if (r.status !== 200) {
        stats.fail(r);
        await sleep(5);
        continue;
      }
      if (batch) {
        let j;
        try {
          j = JSON.parse(r.body);
        } catch {
          stats.fail({ status: r.status, body: 'unparseable response: ' + r.body.slice(0, 100) });
          continue;
        }
        const okCount = Array.isArray(j.Successful) ? j.Successful.length : 0;
        const failed = Array.isArray(j.Failed) ? j.Failed.length : 0;
        stats.ok(t1 - t0);
        messages += okCount;
        if (failed || okCount !== 10) {
          stats.entryFailures += failed || 10 - okCount;
          if (!stats.errorSample) stats.errorSample = 'batch entry failure: ' + JSON.stringify(j.Failed?.[0] ?? j).slice(0, 200);
        }
      } else if (r.body.includes('"MessageId"')) {
        stats.ok(t1 - t0);
        messages++;
      } else {
        stats.fail({ status: r.status, body: 'no MessageId in response: ' + r.body.slice(0, 100) });
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i)));
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  const failures = [];
  if (stats.errors) failures.push(`${stats.errors} failed ${action} calls (${stats.errorSample})`);
  if (stats.entryFailures) failures.push(`${stats.entryFailures} failed batch entries (${stats.errorSample})`);
  if (messages === 0) failures.push('no message was sent');
  return {
    elapsedS,
    messages,
    msgsPerSec: messages / elapsedS,
    calls: { [action]: stats.summary() },
    failures,
  };
}

const SENT = 1;
const RECEIVED = 2;
const DELETED = 4;

async function e2eWorkload(o) {
  const { clients, bodySize: size, concurrency } = o;
  const qjs = o.queueUrls.map((u) => JSON.stringify(u));
  const sendStats = new CallStats();
  const recvStats = new CallStats();
  const delStats = new CallStats();
  const pAgent = clients[0].agent(concurrency);
  const cAgent = clients[0].agent(concurrency);
  const recvBodies = qjs.map(
    (qj) => '{"QueueUrl":' + qj + ',"MaxNumberOfMessages":10,"WaitTimeSeconds":' + o.waitSeconds + '}',
  );
  const recvTimeoutMs = (o.waitSeconds + 15) * 1000;

  // Per-sequence-number state: SENT (acknowledged by SendMessageBatch),
  // RECEIVED (seen at least once), DELETED (DeleteMessageBatch succeeded).
  let flags = new Uint8Array(1 << 16);
  const ids = []; // seq -> first MessageId seen (from the send ack or the receive)
  let nextSeq = 0;
  let sentOk = 0; // acknowledged sends
  let receivedOfSent = 0; // acknowledged sends received at least once
  let deletedOfSent = 0; // acknowledged sends deleted
  let duplicates = 0; // receives beyond the first, per message
  let unackedReceived = 0; // received but never acknowledged as sent (e.g. a send call that errored)
  let corrupt = 0; // body or id mismatch, unparseable sequence number
  let corruptSample = null;
  let emptyReceives = 0;

  // Backlog bound: `outstanding` counts messages issued by producers and not yet
  // deleted (each one is released exactly once: when its send fails, or when it
  // is both acknowledged and deleted).
  const maxBacklog = o.maxBacklog ?? 0;
  let outstanding = 0;
  let producerWaitMs = 0;
  let waiters = [];
  const wake = () => {
    if (!waiters.length) return;
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  };

  const grow = (n) => {
    if (n <= flags.length) return;
    let len = flags.length;
    while (len < n) len *= 2;
    const next = new Uint8Array(len);
    next.set(flags);
    flags = next;
  };
  const checkId = (seq, id) => {
    if (typeof id !== 'string') return;
    const prev = ids[seq];
    if (prev === undefined) ids[seq] = id;
    else if (prev !== id) {
      corrupt++;
      corruptSample ??= `message ${seq}: MessageId ${id} on receive vs ${prev} on send`;
    }
  };

  let producersDone = false;
  let done = false;
  let drainTimedOut = false;
  let resolveDone;
  const donePromise = new Promise((r) => (resolveDone = r));
  const finish = () => {
    if (!done) {
      done = true;
      resolveDone();
    }
  };
  const maybeDone = () => {
    if (producersDone && deletedOfSent === sentOk) finish();
  };

  const start = performance.now();
  const deadline = start + o.durationMs;

  // producer i works through node i % N, consumer i through node (i + 1) % N
  async function producer(i) {
    const client = clients[i % clients.length];
    const qj = qjs[i % clients.length];
    while (performance.now() < deadline) {
      if (maxBacklog > 0 && outstanding + 10 > maxBacklog) {
        const tw = performance.now();
        await new Promise((r) => waiters.push(r));
        producerWaitMs += performance.now() - tw;
        continue;
      }
      const base = nextSeq;
      nextSeq += 10;
      outstanding += 10;
      let body = '{"QueueUrl":' + qj + ',"Entries":[';
      for (let i = 0; i < 10; i++) {
        body += (i ? ',{"Id":"' : '{"Id":"') + i + '","MessageBody":"' + makeBody(base + i, size) + '"}';
      }
      body += ']}';
      const t0 = performance.now();
      const r = await client.call(pAgent, 'SendMessageBatch', body);
      const t1 = performance.now();
      if (r.status !== 200) {
        outstanding -= 10;
        sendStats.fail(r);
        await sleep(5);
        continue;
      }
      let j;
      try {
        j = JSON.parse(r.body);
      } catch {
        outstanding -= 10;
        sendStats.fail({ status: r.status, body: 'unparseable response: ' + r.body.slice(0, 100) });
        continue;
      }
      sendStats.ok(t1 - t0);
      grow(nextSeq);
      const okList = Array.isArray(j.Successful) ? j.Successful : [];
      let acked = 0;
      for (const s of okList) {
        const seq = base + Number(s.Id);
        if (!(Number(s.Id) >= 0 && Number(s.Id) < 10) || flags[seq] & SENT) continue;
        flags[seq] |= SENT;
        sentOk++;
        acked++;
        checkId(seq, s.MessageId);
        if (flags[seq] & RECEIVED) receivedOfSent++;
        if (flags[seq] & DELETED) {
          deletedOfSent++;
          outstanding--;
        }
      }
      outstanding -= 10 - acked;
      const failed = Array.isArray(j.Failed) ? j.Failed.length : 10 - okList.length;
      if (failed) {
        sendStats.entryFailures += failed;
        sendStats.errorSample ??= 'batch entry failure: ' + JSON.stringify(j.Failed?.[0] ?? j).slice(0, 200);
      }
    }
  }

  async function consumer(i) {
    const client = clients[(i + 1) % clients.length];
    const qj = qjs[(i + 1) % clients.length];
    const recvBody = recvBodies[(i + 1) % clients.length];
    while (!done) {
      const t0 = performance.now();
      const r = await client.call(cAgent, 'ReceiveMessage', recvBody, recvTimeoutMs);
      if (done) break;
      const t1 = performance.now();
      if (r.status !== 200) {
        recvStats.fail(r);
        await sleep(10);
        continue;
      }
      let msgs;
      try {
        msgs = JSON.parse(r.body).Messages;
      } catch {
        recvStats.fail({ status: r.status, body: 'unparseable response: ' + r.body.slice(0, 100) });
        continue;
      }
      recvStats.ok(t1 - t0);
      if (!Array.isArray(msgs) || msgs.length === 0) {
        emptyReceives++;
        continue;
      }
      const seqs = new Array(msgs.length);
      let del = '{"QueueUrl":' + qj + ',"Entries":[';
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i];
        const seq = typeof m.Body === 'string' ? parseSeq(m.Body) : -1;
        seqs[i] = seq;
        if (seq < 0 || seq >= nextSeq || !bodyMatches(m.Body, seq, size)) {
          corrupt++;
          corruptSample ??= `unexpected body ${JSON.stringify(String(m.Body).slice(0, 40))}`;
        } else {
          grow(seq + 1);
          const f = flags[seq];
          if (f & RECEIVED) duplicates++;
          else {
            flags[seq] = f | RECEIVED;
            if (f & SENT) receivedOfSent++;
          }
          checkId(seq, m.MessageId);
        }
        del += (i ? ',{"Id":"' : '{"Id":"') + i + '","ReceiptHandle":' + JSON.stringify(m.ReceiptHandle) + '}';
      }
      del += ']}';
      const t2 = performance.now();
      const d = await client.call(cAgent, 'DeleteMessageBatch', del);
      const t3 = performance.now();
      if (d.status !== 200) {
        if (!done) delStats.fail(d);
        continue;
      }
      let dj;
      try {
        dj = JSON.parse(d.body);
      } catch {
        delStats.fail({ status: d.status, body: 'unparseable response: ' + d.body.slice(0, 100) });
        continue;
      }
      delStats.ok(t3 - t2);
      for (const s of Array.isArray(dj.Successful) ? dj.Successful : []) {
        const seq = seqs[Number(s.Id)];
        if (seq === undefined || seq < 0 || flags[seq] & DELETED) continue;
        flags[seq] |= DELETED;
        if (flags[seq] & SENT) {
          deletedOfSent++;
          outstanding--;
        }
      }
      wake();
      if (Array.isArray(dj.Failed) && dj.Failed.length) {
        delStats.entryFailures += dj.Failed.length;
        delStats.errorSample ??= 'delete entry failure: ' + JSON.stringify(dj.Failed[0]).slice(0, 200);
      }
      maybeDone();
    }
  }

  const deadlineTimer = setTimeout(wake, o.durationMs);
  const consumers = Array.from({ length: concurrency }, (_, i) => consumer(i));
  await Promise.all(Array.from({ length: concurrency }, (_, i) => producer(i)));
  const prodEnd = performance.now();
  clearTimeout(deadlineTimer);
  producersDone = true;
  pAgent.destroy();
  const drainTimer = setTimeout(() => {
    drainTimedOut = true;
    finish();
  }, o.drainTimeoutMs);
  maybeDone();
  await donePromise;
  const end = performance.now();
  clearTimeout(drainTimer);
  cAgent.destroy(); // aborts consumers still parked in a long poll
  await Promise.all(consumers);

  const elapsedS = (end - start) / 1000;
  for (let i = 0; i < nextSeq && i < flags.length; i++) {
    if ((flags[i] & (RECEIVED | SENT)) === RECEIVED) unackedReceived++;
  }
  const missing = sentOk - receivedOfSent;
  const undeleted = sentOk - deletedOfSent;
  const failures = [];
  if (drainTimedOut) {
    failures.push(
      `drain gave up after ${o.drainTimeoutMs / 1000} s: ${missing} of ${sentOk} sent messages never received, ${undeleted} not deleted`,
    );
  }
  if (corrupt) failures.push(`${corrupt} corrupt/mismatched messages (${corruptSample})`);
  for (const [name, s] of [
    ['SendMessageBatch', sendStats],
    ['ReceiveMessage', recvStats],
    ['DeleteMessageBatch', delStats],
  ]) {
    if (s.errors) failures.push(`${s.errors} failed ${name} calls (${s.errorSample})`);
    if (s.entryFailures) failures.push(`${s.entryFailures} failed ${name} entries (${s.errorSample})`);
  }
  if (sentOk === 0) failures.push('no message was sent');

  return {
    elapsedS,
    messages: deletedOfSent,
    msgsPerSec: deletedOfSent / elapsedS,
    calls: {
      SendMessageBatch: sendStats.summary(),
      ReceiveMessage: recvStats.summary(),
      DeleteMessageBatch: delStats.summary(),
    },
    e2e: {
      sent: sentOk,
      sendRatePerSec: sentOk / ((prodEnd - start) / 1000),
      receivedUnique: receivedOfSent,
      deleted: deletedOfSent,
      duplicates,
      unackedReceived,
      missing,
      undeleted,
      corrupt,
      emptyReceives,
      produceS: (prodEnd - start) / 1000,
      maxBacklog,
      producerWaitPct: (100 * producerWaitMs) / concurrency / (prodEnd - start),
      drainS: (end - prodEnd) / 1000,
      drainTimedOut,
    },
    failures,
  };
}
