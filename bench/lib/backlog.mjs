// The `backlog` workload: fills one queue with a deep backlog (default one million
// messages) while sampling the server's resident memory, checks the message count,
// receives and deletes a sample from the deep end of it, then deletes the queue.
// It checks the requirement that message bodies live on disk: the server's RSS must
// stay under --rss-limit-mib however deep the queue gets.

import { performance } from 'node:perf_hooks';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CallStats, makeBody, bodyMatches, parseSeq } from './workloads.mjs';
import { processTreeCpuMicros, memoryBytes, RssSampler } from './proc.mjs';
import { describeFailure } from './sqs-client.mjs';
import { fmt } from './table.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const RSS_SAMPLE_MS = 250;
const PROGRESS_MS = 10_000;
const MAX_FILL_ERRORS = 100; // give up the fill after this many failed calls
const DELETE_QUEUE_TIMEOUT_MS = 600_000;
// After DeleteQueue returns, the server may still be removing the messages in the background.
// It counts as busy while it uses more than QUIET_CPU of a core over a SETTLE_WINDOW_MS window.
const SETTLE_WINDOW_MS = 500;
const QUIET_CPU = 0.1;
const SETTLE_MAX_MS = 300_000;

/**
 * Runs the backlog scenario against one target.
 * @param {object} o
 * @param {import('./sqs-client.mjs').SqsJsonClient} o.client
 * @param {string} o.queueName
 * @param {number} o.bodySize
 * @param {number} o.concurrency loops for the fill and for the receive sample
 * @param {number} o.backlogMessages messages to fill the queue with
 * @param {number} o.sampleMessages messages to receive and delete from the full queue (0 = skip)
 * @param {number} o.rssLimitBytes the row fails when the server's RSS goes above this
 * @param {number} o.waitSeconds ReceiveMessage WaitTimeSeconds
 * @param {number|null} o.pid server pid for RSS and CPU, or null
 * @param {string|null} [o.dataDir] the server's data directory, if known (its size is reported)
 * @param {(msg: string) => void} [o.log] progress lines
 */
export async function runBacklog(o) {
  const { client, bodySize, concurrency, pid } = o;
  const n = o.backlogMessages;
  const log = o.log ?? (() => {});
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

  const failures = [];
  const calls = {
    SendMessageBatch: new CallStats(),
    ReceiveMessage: new CallStats(),
    DeleteMessageBatch: new CallStats(),
  };
  const before = pid ? memoryBytes(pid) : null;
  const sampler = pid ? new RssSampler(pid, RSS_SAMPLE_MS) : null;
  let fill = null;
  let count = null;
  let sample = null;
  let countAfter = null;
  let dataDirFiles = null;
  let del = null;
  const srv0 = pid ? processTreeCpuMicros(pid) : null;
  const cli0 = process.cpuUsage();
  let srvFill = null;
  let cliFill = null;
  try {
    sampler?.phase('fill');
    fill = await fillQueue(o, queueUrl, calls.SendMessageBatch, sampler, log);
    srvFill = pid ? processTreeCpuMicros(pid) : null;
    cliFill = process.cpuUsage(cli0);
    sampler?.phase('hold');
    if (o.dataDir) dataDirFiles = dirFiles(o.dataDir);

    count = await queueCount(client, setupAgent, queueUrl, n);
    if (count.error) failures.push(`GetQueueAttributes failed: ${count.error}`);
    else if (count.visible !== n) {
      failures.push(
        `ApproximateNumberOfMessages is ${count.visible}, expected ${n}` + (fill.sent !== n ? ` (${fill.sent} acknowledged)` : ''),
      );
    }

    if (o.sampleMessages > 0 && !fill.aborted) {
      const srv1 = pid ? processTreeCpuMicros(pid) : null;
      const cli1 = process.cpuUsage();
      sample = await receiveSample(o, queueUrl, calls.ReceiveMessage, calls.DeleteMessageBatch);
      const srv2 = pid ? processTreeCpuMicros(pid) : null;
      const cli = process.cpuUsage(cli1);
      sample.serverCpuUs = srv1 != null && srv2 != null ? srv2 - srv1 : null;
      sample.clientCpuUs = cli.user + cli.system;
      if (sample.corrupt) failures.push(`${sample.corrupt} corrupt messages in the receive sample (${sample.corruptSample})`);
      if (sample.duplicates) failures.push(`${sample.duplicates} messages received twice in the receive sample`);
      if (sample.gaveUp) failures.push(`receive sample stopped after ${sample.emptyReceives} empty receives from a backlog of ${n}`);

      const left = fill.sent - sample.deleted;
      countAfter = await queueCount(client, setupAgent, queueUrl, left, true);
      if (countAfter.error) failures.push(`GetQueueAttributes failed: ${countAfter.error}`);
      else if (countAfter.total !== left) {
        failures.push(`after the receive sample the queue holds ${countAfter.total} messages (visible + in flight + delayed), expected ${left}`);
      }
    }
  } finally {
    sampler?.phase('delete');
    del = await deleteQueue(client, setupAgent, queueUrl, pid);
    sampler?.stop();
    setupAgent.destroy();
  }
  if (del.error) failures.push(`DeleteQueue failed: ${del.error}`);

  for (const [name, s] of Object.entries(calls)) {
    if (s.errors) failures.push(`${s.errors} failed ${name} calls (${s.errorSample})`);
    if (s.entryFailures) failures.push(`${s.entryFailures} failed ${name} entries (${s.errorSample})`);
  }
  if (fill.aborted) failures.push(`fill gave up after ${MAX_FILL_ERRORS} failed calls: ${fill.sent} of ${n} messages sent`);

  // RSS: the sampled maximum of each phase, and VmHWM when the lifetime peak rose during
  // this scenario (then it is this scenario's peak, including spikes between two samples).
  const after = pid ? memoryBytes(pid) : null;
  let rss = null;
  if (sampler) {
    const ph = sampler.phases;
    const hwmRose = before?.hwm != null && after?.hwm != null && after.hwm > before.hwm;
    const sampledMax = Math.max(...Object.values(ph).map((p) => p.maxBytes ?? 0));
    rss = {
      limitBytes: o.rssLimitBytes,
      intervalMs: RSS_SAMPLE_MS,
      beforeBytes: before?.rss ?? null,
      fill: ph.fill ?? null,
      hold: ph.hold ?? null,
      delete: ph.delete ?? null,
      afterFillBytes: ph.fill?.lastBytes ?? null,
      sampledMaxBytes: sampledMax || null,
      hwmBeforeBytes: before?.hwm ?? null,
      hwmAfterBytes: after?.hwm ?? null,
      peakBytes: Math.max(sampledMax, hwmRose ? after.hwm : 0) || null,
      timeline: sampler.timeline,
    };
    const over = [];
    for (const name of ['fill', 'hold', 'delete']) {
      if (ph[name]?.maxBytes > o.rssLimitBytes) over.push(`${fmt.bytes(ph[name].maxBytes)} ${PHASE_LABEL[name]}`);
    }
    if (!over.length && hwmRose && after.hwm > o.rssLimitBytes) over.push(`VmHWM ${fmt.bytes(after.hwm)} between two samples`);
    if (over.length) failures.push(`server RSS above the ${fmt.bytes(o.rssLimitBytes)} limit: ${over.join(', ')}`);
  }

  const fillUs = fill.elapsedS * 1e6;
  const serverCpuUs = srv0 != null && srvFill != null ? srvFill - srv0 : null;
  const clientCpuUs = cliFill ? cliFill.user + cliFill.system : null;
  const perCall = {};
  if (sample) {
    const wallUs = sample.elapsedS * 1e6;
    perCall.ReceiveMessage = {
      msgsPerSec: sample.msgsPerSec,
      serverCpuUsPerMsg: sample.serverCpuUs != null && sample.deleted > 0 ? sample.serverCpuUs / sample.deleted : null,
      serverCpuPct: sample.serverCpuUs != null && wallUs > 0 ? (100 * sample.serverCpuUs) / wallUs : null,
      clientCpuPct: wallUs > 0 ? (100 * sample.clientCpuUs) / wallUs : null,
    };
  }
  const summaries = {};
  for (const [name, s] of Object.entries(calls)) summaries[name] = s.summary();
  return {
    workload: 'backlog',
    bodySize,
    concurrency,
    queueUrl,
    elapsedS: fill.elapsedS,
    messages: fill.sent,
    msgsPerSec: fill.sent / fill.elapsedS,
    calls: summaries,
    perCall,
    serverCpuUs,
    serverCpuUsPerMsg: serverCpuUs != null && fill.sent > 0 ? serverCpuUs / fill.sent : null,
    serverCpuPct: serverCpuUs != null && fillUs > 0 ? (100 * serverCpuUs) / fillUs : null,
    clientCpuUs,
    clientCpuUsPerMsg: clientCpuUs != null && fill.sent > 0 ? clientCpuUs / fill.sent : null,
    clientCpuPct: clientCpuUs != null && fillUs > 0 ? (100 * clientCpuUs) / fillUs : null,
    backlog: {
      messages: n,
      sent: fill.sent,
      fillS: fill.elapsedS,
      fillRatePerSec: fill.sent / fill.elapsedS,
      dataDirBytes: dataDirFiles && dataDirFiles.reduce((sum, f) => sum + f.bytes, 0),
      dataDirFiles,
      count,
      sample: sample && {
        target: o.sampleMessages,
        received: sample.received,
        deleted: sample.deleted,
        elapsedS: sample.elapsedS,
        msgsPerSec: sample.msgsPerSec,
        emptyReceives: sample.emptyReceives,
        duplicates: sample.duplicates,
        corrupt: sample.corrupt,
        serverCpuUs: sample.serverCpuUs,
        clientCpuUs: sample.clientCpuUs,
      },
      countAfter,
      deleteQueue: del,
      rss,
    },
    failures,
  };
}

const PHASE_LABEL = { fill: 'during fill', hold: 'after fill (count + receive sample)', delete: 'during DeleteQueue' };

async function fillQueue(o, queueUrl, stats, sampler, log) {
  const { client, bodySize: size, concurrency } = o;
  const n = o.backlogMessages;
  const qj = JSON.stringify(queueUrl);
  const agent = client.agent(concurrency);
  let next = 0;
  let sent = 0;
  let aborted = false;
  const start = performance.now();
  let lastSent = 0;
  let lastAt = start;
  const progress = setInterval(() => {
    const now = performance.now();
    const rss = sampler?.sample()?.rss;
    log(
      `    fill ${fmt.int(sent)} / ${fmt.int(n)} (${((100 * sent) / n).toFixed(0)}%), ` +
        `${fmt.int((sent - lastSent) / ((now - lastAt) / 1000))} msgs/s` +
        (rss != null ? `, server RSS ${fmt.bytes(rss)}` : ''),
    );
    lastSent = sent;
    lastAt = now;
  }, PROGRESS_MS);

  async function loop() {
    while (next < n && !aborted) {
      const base = next;
      const k = Math.min(10, n - base);
      next += k;
      let body = '{"QueueUrl":' + qj + ',"Entries":[';
      for (let i = 0; i < k; i++) {
        body += (i ? ',{"Id":"' : '{"Id":"') + i + '","MessageBody":"' + makeBody(base + i, size) + '"}';
      }
      body += ']}';
      const t0 = performance.now();
      const r = await client.call(agent, 'SendMessageBatch', body);
      const t1 = performance.now();
      if (r.status !== 200) {
        stats.fail(r);
        if (stats.errors >= MAX_FILL_ERRORS) aborted = true;
        await sleep(5);
        continue;
      }
      let j;
      try {
        j = JSON.parse(r.body);
      } catch {
        stats.fail({ status: r.status, body: 'unparseable response: ' + r.body.slice(0, 100) });
        continue;
      }
      stats.ok(t1 - t0);
      const okCount = Array.isArray(j.Successful) ? j.Successful.length : 0;
      sent += okCount;
      if (okCount !== k) {
        stats.entryFailures += k - okCount;
        stats.errorSample ??= 'batch entry failure: ' + JSON.stringify(j.Failed?.[0] ?? j).slice(0, 200);
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    clearInterval(progress);
    agent.destroy();
  }
  return { elapsedS: (performance.now() - start) / 1000, sent, aborted };
}

/**
 * GetQueueAttributes for the three counts. With `anyState`, `expected` is compared with
 * visible + in flight + delayed. A mismatch is read again every 500 ms for up to 7 s: the counts
 * are approximate, and a server may reuse a deep queue's count for a few seconds (sealq on
 * SQLite does, for up to 5 s).
 */
async function queueCount(client, agent, queueUrl, expected, anyState = false) {
  const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'];
  let out;
  for (let attempt = 1; attempt <= 15; attempt++) {
    if (attempt > 1) await sleep(500);
    const t0 = performance.now();
    const r = await client.call(agent, 'GetQueueAttributes', JSON.stringify({ QueueUrl: queueUrl, AttributeNames: names }), 120_000);
    const ms = performance.now() - t0;
    if (r.status !== 200) return { error: describeFailure(r), ms, attempts: attempt };
    let a;
    try {
      a = JSON.parse(r.body).Attributes ?? {};
    } catch {
      return { error: 'unparseable response: ' + r.body.slice(0, 100), ms, attempts: attempt };
    }
    const visible = Number(a.ApproximateNumberOfMessages);
    const notVisible = Number(a.ApproximateNumberOfMessagesNotVisible);
    const delayed = Number(a.ApproximateNumberOfMessagesDelayed);
    out = { visible, notVisible, delayed, total: visible + notVisible + delayed, expected, ms, attempts: attempt };
    if ((anyState ? out.total : visible) === expected) break;
  }
  return out;
}

/** Receives (MaxNumberOfMessages 10) and deletes (DeleteMessageBatch) about o.sampleMessages messages. */
async function receiveSample(o, queueUrl, recvStats, delStats) {
  const { client, bodySize: size, concurrency } = o;
  const n = o.backlogMessages;
  const qj = JSON.stringify(queueUrl);
  const agent = client.agent(concurrency);
  const recvBody = '{"QueueUrl":' + qj + ',"MaxNumberOfMessages":10,"WaitTimeSeconds":' + o.waitSeconds + '}';
  const recvTimeoutMs = (o.waitSeconds + 15) * 1000;
  const seen = new Uint8Array(n);
  let received = 0;
  let requested = 0; // received + room (10) of each receive in flight: never ask for more than the sample
  let deleted = 0;
  let duplicates = 0;
  let corrupt = 0;
  let corruptSample = null;
  let emptyReceives = 0;
  let gaveUp = false;
  const start = performance.now();

  async function loop() {
    while (requested < o.sampleMessages && !gaveUp) {
      requested += 10;
      const t0 = performance.now();
      const r = await client.call(agent, 'ReceiveMessage', recvBody, recvTimeoutMs);
      const t1 = performance.now();
      let msgs = null;
      let bad = r.status === 200 ? null : r;
      if (!bad) {
        try {
          msgs = JSON.parse(r.body).Messages;
        } catch {
          bad = { status: r.status, body: 'unparseable response: ' + r.body.slice(0, 100) };
        }
      }
      requested -= 10 - (Array.isArray(msgs) ? msgs.length : 0);
      if (bad) {
        recvStats.fail(bad);
        if (recvStats.errors >= MAX_FILL_ERRORS) gaveUp = true;
        await sleep(10);
        continue;
      }
      recvStats.ok(t1 - t0);
      if (!Array.isArray(msgs) || msgs.length === 0) {
        // the queue holds far more than the sample: an empty answer is not expected
        if (++emptyReceives >= 3 * concurrency) gaveUp = true;
        continue;
      }
      received += msgs.length;
      let del = '{"QueueUrl":' + qj + ',"Entries":[';
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i];
        const seq = typeof m.Body === 'string' ? parseSeq(m.Body) : -1;
        if (seq < 0 || seq >= n || !bodyMatches(m.Body, seq, size)) {
          corrupt++;
          corruptSample ??= `unexpected body ${JSON.stringify(String(m.Body).slice(0, 40))}`;
        } else if (seen[seq]) duplicates++;
        else seen[seq] = 1;
        del += (i ? ',{"Id":"' : '{"Id":"') + i + '","ReceiptHandle":' + JSON.stringify(m.ReceiptHandle) + '}';
      }
      del += ']}';
      const t2 = performance.now();
      const d = await client.call(agent, 'DeleteMessageBatch', del);
      const t3 = performance.now();
      if (d.status !== 200) {
        delStats.fail(d);
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
      deleted += Array.isArray(dj.Successful) ? dj.Successful.length : 0;
      if (Array.isArray(dj.Failed) && dj.Failed.length) {
        delStats.entryFailures += dj.Failed.length;
        delStats.errorSample ??= 'delete entry failure: ' + JSON.stringify(dj.Failed[0]).slice(0, 200);
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    agent.destroy();
  }
  const elapsedS = (performance.now() - start) / 1000;
  return { elapsedS, received, deleted, msgsPerSec: deleted / elapsedS, duplicates, corrupt, corruptSample, emptyReceives, gaveUp };
}

/**
 * DeleteQueue, timed; then, when the pid is known, how long the server stays busy after
 * it (a server may remove a deleted queue's messages in the background).
 */
async function deleteQueue(client, agent, queueUrl, pid) {
  const cpu0 = pid ? processTreeCpuMicros(pid) : null;
  const t0 = performance.now();
  const r = await client.call(agent, 'DeleteQueue', JSON.stringify({ QueueUrl: queueUrl }), DELETE_QUEUE_TIMEOUT_MS);
  const t1 = performance.now();
  const out = { callS: (t1 - t0) / 1000, backgroundS: null, backgroundTimedOut: false, serverCpuS: null, error: null };
  if (r.status !== 200) {
    out.error = describeFailure(r);
    return out;
  }
  if (!pid) return out;
  let prev = processTreeCpuMicros(pid);
  let busyUntil = t1;
  for (;;) {
    const w0 = performance.now();
    await sleep(SETTLE_WINDOW_MS);
    const w1 = performance.now();
    const cur = processTreeCpuMicros(pid);
    if (cur == null || prev == null) break;
    const busy = cur - prev > QUIET_CPU * (w1 - w0) * 1000;
    prev = cur;
    if (!busy) break;
    busyUntil = w1;
    if (w1 - t1 > SETTLE_MAX_MS) {
      out.backgroundTimedOut = true;
      break;
    }
  }
  out.backgroundS = (busyUntil - t1) / 1000;
  const cpu1 = processTreeCpuMicros(pid);
  out.serverCpuS = cpu0 != null && cpu1 != null ? (cpu1 - cpu0) / 1e6 : null;
  return out;
}

/** The files under `dir` (the server's database, WAL...), largest first: [{ name, bytes }]. */
function dirFiles(dir, prefix = '', out = []) {
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) dirFiles(p, prefix + e.name + '/', out);
      else if (e.isFile()) out.push({ name: prefix + e.name, bytes: statSync(p).size });
    }
  } catch {
    /* vanished */
  }
  return out.sort((a, b) => b.bytes - a.bytes);
}

/** The report lines of one backlog result (first line: the headline). */
export function describeBacklog(r) {
  const b = r.backlog;
  if (!b) return [`backlog ${fmt.size(r.bodySize)} c${r.concurrency}: ${r.error ?? 'no result'}`];
  const rss = b.rss;
  const lines = [];
  let limit = '';
  if (rss) {
    // VmHWM rose above every sample: a spike between two samples, part of the check
    const hwm = rss.peakBytes > rss.sampledMaxBytes ? `, VmHWM ${fmt.bytes(rss.peakBytes)}` : '';
    limit = ` (limit ${+(rss.limitBytes / (1 << 20)).toFixed(1)} MiB${hwm})`;
  }
  lines.push(
    `backlog ${fmt.int(b.messages)} x ${fmt.size(r.bodySize)} c${r.concurrency}: fill ${fmt.int(b.fillRatePerSec)} msgs/s ` +
      `(${b.fillS.toFixed(1)} s, srv ${fmt.us(r.serverCpuUsPerMsg)} us/msg), ` +
      (rss
        ? `RSS max during fill ${fmt.bytes(rss.fill?.maxBytes)}${limit}, after fill ${fmt.bytes(rss.afterFillBytes)}`
        : 'RSS not measured (pid unknown)'),
  );
  if (rss) {
    lines.push(
      `  RSS before ${fmt.bytes(rss.beforeBytes)}; max after fill (count + receive sample) ${fmt.bytes(rss.hold?.maxBytes)}, ` +
        `during DeleteQueue ${fmt.bytes(rss.delete?.maxBytes)}; VmHWM (process lifetime) ${fmt.bytes(rss.hwmAfterBytes)}` +
        (rss.fill?.maxParts
          ? `; at the fill max: anon ${fmt.bytes(rss.fill.maxParts.anon)}, file ${fmt.bytes(rss.fill.maxParts.file)}`
          : ''),
    );
  }
  const c = b.count;
  lines.push(
    `  ApproximateNumberOfMessages ${c ? (c.error ? `error (${c.error})` : `${fmt.int(c.visible)} (expected ${fmt.int(b.messages)}, ${fmt.ms(c.ms)} ms)`) : '-'}` +
      (b.dataDirFiles
        ? `; data dir ${fmt.bytes(b.dataDirBytes)} after fill` +
          (b.dataDirFiles.length ? ` (${b.dataDirFiles.slice(0, 3).map((f) => `${f.name} ${fmt.bytes(f.bytes)}`).join(', ')})` : '')
        : ''),
  );
  if (b.sample) {
    const s = b.sample;
    const rc = r.calls.ReceiveMessage;
    const dc = r.calls.DeleteMessageBatch;
    lines.push(
      `  deep receive+delete ${fmt.int(s.deleted)} msgs: ${fmt.int(s.msgsPerSec)} msgs/s (${s.elapsedS.toFixed(1)} s), ` +
        `ReceiveMessage p50 ${fmt.ms(rc.p50Ms)} ms p99 ${fmt.ms(rc.p99Ms)} ms, DeleteMessageBatch p50 ${fmt.ms(dc.p50Ms)} ms p99 ${fmt.ms(dc.p99Ms)} ms, ` +
        `srv ${fmt.us(r.perCall.ReceiveMessage?.serverCpuUsPerMsg)} us/msg, empty receives ${s.emptyReceives}`,
    );
  }
  const d = b.deleteQueue;
  if (d) {
    lines.push(
      `  DeleteQueue ${d.error ? `failed (${d.error}) after ` : ''}${d.callS.toFixed(2)} s` +
        (d.backgroundS != null
          ? `, server busy ${d.backgroundTimedOut ? 'over ' : ''}${d.backgroundS.toFixed(1)} s after it (${d.serverCpuS.toFixed(1)} s CPU in all)`
          : ''),
    );
  }
  return lines;
}
