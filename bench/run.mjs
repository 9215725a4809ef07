#!/usr/bin/env node
// sealq load benchmark. See bench/README.md.
//
//   node bench/run.mjs [--quick] [--duration S] [--url URL [--pid PID]]
//                      [--vs URL [--vs-pid PID] | --vs-fauxqs | --vs-local-aws-sqs] [--json FILE]
//   node bench/run.mjs --workloads backlog [--backlog-messages N] [--rss-limit-mib M]

import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqsJsonClient } from './lib/sqs-client.mjs';
import { startServer, freePort, peakRssBytes } from './lib/proc.mjs';
import { runScenario, WORKLOADS, DEFAULT_WORKLOADS, MIN_BODY_SIZE } from './lib/workloads.mjs';
import { runBacklog, describeBacklog } from './lib/backlog.mjs';
import { renderTable, fmt } from './lib/table.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');

const HELP = `Usage: node bench/run.mjs [options]     (npm run bench -- [options])

Targets
  (default)              start sealq (node dist/cli/main.js serve) on a free port with a
                         fresh temp data dir, stop it with SIGTERM at the end
  --storage URL          start sealq on PostgreSQL (postgres://...) in a fresh schema,
                         dropped at the end (default: SQLite in the temp data dir)
  --url URL              benchmark an already running endpoint instead
  --pid PID              pid of the --url server, for server CPU and peak RSS
  --name NAME            label of the main target (default: sealq)
  --vs URL               also run every scenario against URL; prints ratios main/other
  --vs-pid PID           pid of the --vs server
  --vs-name NAME         label of the --vs target (default: other)
  --vs-fauxqs            start fauxqs (from --peers-dir) as the --vs target
  --vs-local-aws-sqs     start local-aws-sqs (from --peers-dir) as the --vs target
  --peers-dir DIR        where the peers are npm-installed (default: /tmp/peers)

Workloads
  --duration S           seconds per scenario (default 5)
  --quick                short smoke: 1 s per scenario, 0.3 s warmup
  --warmup S             warmup seconds per target before the scenarios (default 1)
  --workloads LIST       comma list of send,batch,e2e,backlog (default: send,batch,e2e)
  --sizes LIST           body sizes in bytes (default: 256,4096; backlog: 1024)
  --concurrency LIST     loop counts (default: 8,32; backlog: 8)
  --sse MODE             encryption of the main target's queues: default (the server's
                         default; SSE-SQS on sealq), none, sqs, or kms (a new KMS key)
  --wait-seconds N       ReceiveMessage WaitTimeSeconds for e2e consumers and the backlog
                         sample, 1..20 (default 20)
  --drain-timeout S      e2e: give up draining after S seconds (default 30)
  --max-backlog N        e2e: producers pause while N messages are sent but not yet
                         deleted (default 100 x concurrency; 0 = unbounded)

Backlog (--workloads backlog: fill one queue, watch the server's RSS; not run by default)
  --backlog-messages N   messages to fill the queue with (default 1000000)
  --backlog-sample N     then receive and delete N of them from the full queue (default 20000)
  --rss-limit-mib M      the row fails when the server's RSS goes above M MiB (default 300)

Other
  --json FILE            also write the results as JSON
  --access-key ID        SigV4 access key (default AKIDEXAMPLE)
  --secret-key KEY       SigV4 secret key (default: the AWS documentation example key)
  --region REGION        SigV4 region (default us-east-1)
  --server-timeout S     how long to wait for a started server to be ready (default 30)
  -h, --help
`;

function usage(msg) {
  process.stderr.write(`run.mjs: ${msg}\n\n${HELP}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      url: { type: 'string' },
      storage: { type: 'string' },
      pid: { type: 'string' },
      name: { type: 'string' },
      vs: { type: 'string' },
      'vs-pid': { type: 'string' },
      'vs-name': { type: 'string' },
      'vs-fauxqs': { type: 'boolean' },
      'vs-local-aws-sqs': { type: 'boolean' },
      'peers-dir': { type: 'string', default: process.env.SEALQ_BENCH_PEERS_DIR || '/tmp/peers' },
      duration: { type: 'string' },
      quick: { type: 'boolean' },
      warmup: { type: 'string' },
      workloads: { type: 'string' },
      sizes: { type: 'string' },
      concurrency: { type: 'string' },
      'wait-seconds': { type: 'string', default: '20' },
      sse: { type: 'string', default: 'default' },
      'drain-timeout': { type: 'string', default: '30' },
      'max-backlog': { type: 'string' },
      'backlog-messages': { type: 'string', default: '1000000' },
      'backlog-sample': { type: 'string', default: '20000' },
      'rss-limit-mib': { type: 'string', default: '300' },
      json: { type: 'string' },
      'access-key': { type: 'string', default: 'AKIDEXAMPLE' },
      'secret-key': { type: 'string', default: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      region: { type: 'string', default: 'us-east-1' },
      'server-timeout': { type: 'string', default: '30' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const num = (v, name, { min = -Infinity, max = Infinity, int = false } = {}) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n))) usage(`bad ${name}: ${v}`);
  return n;
};
const list = (v, name, opts) => v.split(',').filter(Boolean).map((x) => num(x, name, opts));

const durationS = args.duration != null ? num(args.duration, '--duration', { min: 0.1 }) : args.quick ? 1 : 5;
const warmupS = args.warmup != null ? num(args.warmup, '--warmup', { min: 0 }) : args.quick ? 0.3 : 1;
const workloads = args.workloads ? args.workloads.split(',').filter(Boolean) : DEFAULT_WORKLOADS;
for (const w of workloads) if (!WORKLOADS[w]) usage(`unknown workload ${w} (${Object.keys(WORKLOADS).join(', ')})`);
// --sizes and --concurrency apply to every workload; without them, backlog has its own defaults
const sizesFor = (w) => list(args.sizes ?? (w === 'backlog' ? '1024' : '256,4096'), '--sizes', { min: MIN_BODY_SIZE, max: 256 * 1024, int: true });
const concurrenciesFor = (w) => list(args.concurrency ?? (w === 'backlog' ? '8' : '8,32'), '--concurrency', { min: 1, max: 1024, int: true });
for (const w of workloads) if (!sizesFor(w).length || !concurrenciesFor(w).length) usage('empty --sizes or --concurrency');
if (!workloads.length) usage('empty --workloads');
const backlogMessages = num(args['backlog-messages'], '--backlog-messages', { min: 1, int: true });
const backlogSample = num(args['backlog-sample'], '--backlog-sample', { min: 0, int: true });
const rssLimitMiB = num(args['rss-limit-mib'], '--rss-limit-mib', { min: 1 });
const waitSeconds = num(args['wait-seconds'], '--wait-seconds', { min: 1, max: 20, int: true });
if (!['default', 'none', 'sqs', 'kms'].includes(args.sse)) usage('--sse takes default, none, sqs or kms');
const drainTimeoutMs = num(args['drain-timeout'], '--drain-timeout', { min: 1 }) * 1000;
const maxBacklogArg = args['max-backlog'] != null ? num(args['max-backlog'], '--max-backlog', { min: 0, int: true }) : null;
if (maxBacklogArg != null && maxBacklogArg > 0 && maxBacklogArg < 10) usage('--max-backlog must be 0 or at least 10 (one batch)');
const serverTimeoutMs = num(args['server-timeout'], '--server-timeout', { min: 1 }) * 1000;
const creds = { accessKeyId: args['access-key'], secretAccessKey: args['secret-key'], region: args.region };
const vsPeer = args['vs-fauxqs'] ? 'fauxqs' : args['vs-local-aws-sqs'] ? 'local-aws-sqs' : null;
if ([args.vs, args['vs-fauxqs'], args['vs-local-aws-sqs']].filter(Boolean).length > 1) {
  usage('use only one of --vs, --vs-fauxqs, --vs-local-aws-sqs');
}
if (args.pid && !args.url) usage('--pid goes with --url');
if (args['vs-pid'] && !args.vs) usage('--vs-pid goes with --vs');

const log = (msg) => process.stderr.write(msg + '\n');

// ---------------------------------------------------------------- targets

const started = []; // servers we spawned, stopped in cleanup()
const tempDirs = [];
let cleaning = null;
async function cleanup() {
  cleaning ??= (async () => {
    for (const s of started.splice(0)) {
      const res = await s.stop().catch(() => null);
      if (res && res.signal && res.signal !== 'SIGTERM') log(`note: ${s.name} stopped by ${res.signal}`);
      else if (res && res.code) {
        log(`note: ${s.name} exited with code ${res.code} after SIGTERM; last output:\n  ${s.tail.slice(-5).join('\n  ')}`);
      }
    }
    for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
    if (benchSchema) await dropBenchSchema().catch((e) => log(`note: could not drop schema ${benchSchema}: ${e.message}`));
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`\n${sig}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

/** With --storage, the schema this run's server keeps its tables in. */
let benchSchema = null;
function storageArgs() {
  if (!args.storage) return [];
  if (!/^postgres(ql)?:\/\//.test(args.storage)) usage('--storage takes a postgres:// URL');
  benchSchema = `sealq_bench_${process.pid}_${Date.now().toString(36)}`;
  return ['--storage', args.storage, '--storage-schema', benchSchema];
}
async function dropBenchSchema() {
  const { default: pg } = await import('pg');
  const db = new pg.Client({ connectionString: args.storage });
  await db.connect();
  try {
    await db.query(`DROP SCHEMA IF EXISTS "${benchSchema}" CASCADE`);
  } finally {
    await db.end();
  }
}

async function startSealq() {
  const cli = join(REPO, 'dist/cli/main.js');
  if (!existsSync(cli)) throw new Error(`${cli} not found: run \`npm run build\` first (npm run bench does)`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'sealq-bench-'));
  tempDirs.push(dataDir);
  const endpoint = `http://127.0.0.1:${port}`;
  log(`starting sealq on ${endpoint} (data dir ${dataDir})`);
  const server = await startServer({
    name: 'sealq',
    command: process.execPath,
    args: [cli, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...storageArgs()],
    cwd: REPO,
    // The server verifies signatures: make the harness's key the default account's root key.
    env: { ...process.env, SEALQ_ROOT_ACCESS_KEY_ID: creds.accessKeyId, SEALQ_ROOT_SECRET_ACCESS_KEY: creds.secretAccessKey },
    endpoint,
    timeoutMs: serverTimeoutMs,
  });
  started.push(server);
  return { endpoint, pid: server.pid, server, dataDir };
}

async function startPeer(peer) {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  log(`starting ${peer} on ${endpoint} (from ${args['peers-dir']})`);
  const server = await startServer({
    name: peer,
    command: process.execPath,
    args: [join(HERE, 'peer.mjs'), peer, '--port', String(port), '--peers-dir', args['peers-dir']],
    cwd: REPO,
    timeoutMs: serverTimeoutMs,
  });
  started.push(server);
  return { endpoint, pid: server.pid, server };
}

function pidArg(v, name) {
  const pid = num(v, name, { min: 1, int: true });
  if (!existsSync(`/proc/${pid}/stat`)) usage(`${name} ${pid}: no such process`);
  return pid;
}

// ---------------------------------------------------------------- run

const runId = Date.now().toString(36).slice(-6) + Math.random().toString(36).slice(2, 5);
const targets = [];
const results = [];
let exitCode = 0;
const cliStart = process.cpuUsage();
const wallStart = Date.now();

try {
  const main = args.url
    ? { endpoint: args.url, pid: args.pid ? pidArg(args.pid, '--pid') : null }
    : await startSealq();
  targets.push({ name: args.name ?? 'sealq', ...main });
  if (args.vs) {
    targets.push({ name: args['vs-name'] ?? 'other', endpoint: args.vs, pid: args['vs-pid'] ? pidArg(args['vs-pid'], '--vs-pid') : null });
  } else if (vsPeer) {
    targets.push({ name: args['vs-name'] ?? vsPeer, ...(await startPeer(vsPeer)) });
  }
  if (targets.length === 2 && targets[0].name === targets[1].name) targets[1].name += '-2';
  for (const t of targets) t.client = new SqsJsonClient(t.endpoint, creds);

  const scenarios = [];
  for (const w of workloads) {
    for (const size of sizesFor(w)) for (const c of concurrenciesFor(w)) scenarios.push({ workload: w, bodySize: size, concurrency: c });
  }
  const timed = scenarios.filter((sc) => sc.workload !== 'backlog').length;
  const backlogs = scenarios.length - timed;
  const perScenario = durationS * targets.length;
  log(
    `${scenarios.length} scenarios x ${targets.length} target(s)` +
      (timed ? `, ${durationS} s each (~${Math.ceil(timed * perScenario + warmupS * targets.length)} s plus e2e drains)` : '') +
      (backlogs ? `; ${backlogs} backlog fill(s) of ${fmt.int(backlogMessages)} messages` : ''),
  );

  const common = { waitSeconds, drainTimeoutMs };
  // Server-side encryption of the main target's queues (--sse); the --vs target keeps its defaults.
  let mainAttributes;
  if (args.sse === 'none') mainAttributes = { SqsManagedSseEnabled: 'false' };
  else if (args.sse === 'sqs') mainAttributes = { SqsManagedSseEnabled: 'true' };
  else if (args.sse === 'kms') {
    const agent = targets[0].client.agent(1);
    const { KeyMetadata } = await targets[0].client.json(agent, 'TrentService.CreateKey', { Description: 'bench' });
    agent.destroy();
    mainAttributes = { KmsMasterKeyId: KeyMetadata.Arn };
  }
  const attributesFor = (ti) => (ti === 0 ? mainAttributes : undefined);
  const nameWidth = Math.max(...targets.map((t) => t.name.length));
  if (warmupS > 0) {
    for (const [ti, t] of targets.entries()) {
      log(`warmup ${t.name} (${warmupS} s)`);
      for (const w of ['send', 'e2e']) {
        await runScenario({
          ...common,
          client: t.client,
          pid: null,
          queueName: `bench-${runId}-t${ti}-warmup-${w}`,
          queueAttributes: attributesFor(ti),
          workload: w,
          bodySize: scenarios[0].bodySize,
          concurrency: Math.min(8, Math.max(...scenarios.map((sc) => sc.concurrency))),
          durationMs: (warmupS * 1000) / 2,
          maxBacklog: 800,
        });
      }
    }
  }

  for (const sc of scenarios) {
    const row = { ...sc, byTarget: [] };
    for (const [ti, t] of targets.entries()) {
      const label = `${sc.workload} ${fmt.size(sc.bodySize)} c${sc.concurrency}`;
      if (t.server?.exited) throw new Error(`${t.name} exited (${JSON.stringify(t.server.exited)}); last output:\n  ${t.server.tail.join('\n  ')}`);
      let r;
      const queueName = `bench-${runId}-t${ti}-${sc.workload}-${sc.bodySize}-c${sc.concurrency}`;
      try {
        if (sc.workload === 'backlog') {
          log(`  ${t.name.padEnd(nameWidth)} ${label}: filling ${fmt.int(backlogMessages)} messages`);
          r = await runBacklog({
            ...common,
            ...sc,
            client: t.client,
            pid: t.pid,
            dataDir: t.dataDir ?? null,
            queueName,
            queueAttributes: attributesFor(ti),
            backlogMessages,
            sampleMessages: Math.min(backlogSample, backlogMessages),
            rssLimitBytes: rssLimitMiB * 1024 * 1024,
            log,
          });
        } else {
          r = await runScenario({
            ...common,
            client: t.client,
            pid: t.pid,
            queueName,
            queueAttributes: attributesFor(ti),
            ...sc,
            durationMs: durationS * 1000,
            maxBacklog: maxBacklogArg ?? 100 * sc.concurrency,
          });
        }
      } catch (e) {
        r = { ...sc, error: e.message, failures: [e.message], calls: {}, messages: 0, msgsPerSec: null };
      }
      r.target = t.name;
      row.byTarget.push(r);
      const extra = r.e2e ? ` dup=${r.e2e.duplicates} missing=${r.e2e.missing} drain=${r.e2e.drainS.toFixed(2)}s` : '';
      log(
        `  ${t.name.padEnd(nameWidth)} ${label.padEnd(16)} ${fmt.int(r.msgsPerSec).padStart(8)} msgs/s` +
          ` srv ${fmt.us(r.serverCpuUsPerMsg)} us/msg ${fmt.pct(r.serverCpuPct)} cli ${fmt.pct(r.clientCpuPct)}${extra}` +
          (r.failures.length ? `  FAIL: ${r.failures.join('; ')}` : ''),
      );
      if (r.backlog) for (const line of describeBacklog(r)) log(`    ${line}`);
      if (r.failures.length && ti === 0) exitCode = 1;
    }
    results.push(row);
  }

  for (const t of targets) t.peakRss = t.pid ? peakRssBytes(t.pid) : null;
} catch (e) {
  log(`error: ${e.message}`);
  exitCode = exitCode || 2;
} finally {
  await cleanup();
}

// ---------------------------------------------------------------- report

const cliTotal = process.cpuUsage(cliStart);
const wallTotalS = (Date.now() - wallStart) / 1000;

if (results.length) {
  const vs = targets.length > 1;
  const [A, B] = targets.map((t) => t.name);
  const cols = [
    { title: 'workload', align: 'left' },
    { title: 'body' },
    { title: 'conc' },
    { title: 'call', align: 'left' },
    { title: 'msgs/s', group: A },
    { title: 'calls', group: A },
    { title: 'err', group: A },
    { title: 'p50 ms', group: A },
    { title: 'p99 ms', group: A },
    { title: 'srv us/msg', group: A },
    { title: 'srv cpu', group: A },
    { title: 'cli cpu', group: A },
  ];
  if (vs) {
    cols.push(
      { title: 'msgs/s', group: B },
      { title: 'err', group: B },
      { title: 'p50 ms', group: B },
      { title: 'p99 ms', group: B },
      { title: 'srv us/msg', group: B },
      { title: 'srv cpu', group: B },
      { title: 'msgs/s', group: `${A}/${B}` },
      { title: 'p50', group: `${A}/${B}` },
      { title: 'p99', group: `${A}/${B}` },
      { title: 'us/msg', group: `${A}/${B}` },
    );
  }
  cols.push({ title: 'check', align: 'left', group: vs ? 'checks' : A });

  const check = (r) => {
    if (!r) return '';
    if (r.error) return 'ERROR';
    if (r.failures.length) return 'FAIL';
    if (r.e2e) return `ok dup=${r.e2e.duplicates}`;
    return 'ok';
  };
  const rows = [];
  for (const row of results) {
    const [a, b] = row.byTarget;
    const calls = WORKLOADS[row.workload].calls;
    calls.forEach((call, i) => {
      const ca = a.calls?.[call];
      const cb = b?.calls?.[call];
      const first = i === 0;
      // the scenario's figures on its first line; a phase of its own (backlog: the receive
      // sample) on the line of that call
      const pa = first ? a : a.perCall?.[call];
      const pb = first ? b : b?.perCall?.[call];
      const r = [
        first ? WORKLOADS[row.workload].title : '',
        first ? fmt.size(row.bodySize) : '',
        first ? String(row.concurrency) : '',
        call,
        pa ? fmt.int(pa.msgsPerSec) : '',
        ca ? fmt.int(ca.calls) : '-',
        ca ? String(ca.errors + ca.entryFailures) : '-',
        fmt.ms(ca?.p50Ms),
        fmt.ms(ca?.p99Ms),
        pa ? fmt.us(pa.serverCpuUsPerMsg) : '',
        pa ? fmt.pct(pa.serverCpuPct) : '',
        pa ? fmt.pct(pa.clientCpuPct) : '',
      ];
      if (vs) {
        r.push(
          pb ? fmt.int(pb.msgsPerSec) : '',
          cb ? String(cb.errors + cb.entryFailures) : '-',
          fmt.ms(cb?.p50Ms),
          fmt.ms(cb?.p99Ms),
          pb ? fmt.us(pb.serverCpuUsPerMsg) : '',
          pb ? fmt.pct(pb.serverCpuPct) : '',
          pa && pb ? fmt.ratio(pa.msgsPerSec, pb.msgsPerSec) : '',
          fmt.ratio(ca?.p50Ms, cb?.p50Ms),
          fmt.ratio(ca?.p99Ms, cb?.p99Ms),
          pa && pb ? fmt.ratio(pa.serverCpuUsPerMsg, pb.serverCpuUsPerMsg) : '',
        );
        r.push(first ? (vs ? `${check(a)} / ${check(b)}` : check(a)) : '');
      } else {
        r.push(first ? check(a) : '');
      }
      rows.push(r);
    });
  }

  const out = [];
  out.push('');
  out.push(
    `sealq benchmark  ${new Date(wallStart).toISOString()}  node ${process.version}  ${cpus().length} cpu (${cpus()[0]?.model?.trim() ?? '?'})  ` +
      `${durationS} s/scenario`,
  );
  const nameWidth = Math.max(...targets.map((t) => t.name.length));
  for (const t of targets) out.push(`  ${t.name.padEnd(nameWidth)}  ${t.endpoint}${t.pid ? `  pid ${t.pid}` : '  (pid unknown: server CPU not measured)'}`);
  out.push('');
  out.push(renderTable(cols, rows));
  out.push('');
  out.push('msgs/s: messages acknowledged per second (end-to-end: sent, received and deleted, drain included).');
  if (workloads.includes('backlog')) {
    out.push('backlog: SendMessageBatch line = the fill; ReceiveMessage line = receive + delete of the sample from the full queue.');
  }
  out.push('p50/p99: latency per call of that type (ReceiveMessage includes long-poll waiting).');
  out.push('srv us/msg: server CPU time (utime+stime of its process tree, /proc) per message; srv/cli cpu: % of one core.');
  if (vs) out.push(`ratios are ${A}/${B}: msgs/s > 1 means ${A} is faster; p50, p99, us/msg < 1 mean ${A} is cheaper.`);
  for (const row of results) {
    for (const r of row.byTarget) {
      if (r.e2e) {
        const e = r.e2e;
        out.push(
          `  ${r.target} e2e ${fmt.size(r.bodySize)} c${r.concurrency}: sent ${e.sent} (${fmt.int(e.sendRatePerSec)}/s over ${e.produceS.toFixed(1)} s), ` +
            `received ${e.receivedUnique}, deleted ${e.deleted}, duplicates ${e.duplicates}, missing ${e.missing}, ` +
            `drain ${e.drainS.toFixed(2)} s, empty receives ${e.emptyReceives}, ` +
            (e.maxBacklog ? `producers paused ${e.producerWaitPct.toFixed(0)}% at backlog ${e.maxBacklog}` : 'backlog unbounded'),
        );
      }
      if (r.backlog) for (const [i, line] of describeBacklog(r).entries()) out.push(`  ${i ? '  ' : `${r.target} `}${line}`);
      for (const f of r.failures) out.push(`  FAIL ${r.target} ${r.workload} ${fmt.size(r.bodySize)} c${r.concurrency}: ${f}`);
    }
  }
  out.push('');
  for (const t of targets) {
    out.push(`peak RSS (VmHWM, process lifetime) ${t.name}: ${t.peakRss != null ? fmt.bytes(t.peakRss) : '- (pid unknown)'}`);
  }
  const cliUs = cliTotal.user + cliTotal.system;
  out.push(
    `client (this process) CPU: ${(cliUs / 1e6).toFixed(1)} s over ${wallTotalS.toFixed(1)} s wall ` +
      `(${fmt.pct((100 * cliUs) / (wallTotalS * 1e6))} of one core, ${cpus().length} cores available)`,
  );
  process.stdout.write(out.join('\n') + '\n');
}

if (args.json) {
  const file = resolve(args.json);
  mkdirSync(dirname(file), { recursive: true });
  const doc = {
    tool: 'sealq bench/run.mjs',
    date: new Date(wallStart).toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model?.trim() ?? null,
    totalMemBytes: totalmem(),
    options: {
      durationS,
      warmupS,
      workloads,
      sizes: [...new Set(workloads.flatMap(sizesFor))],
      concurrencies: [...new Set(workloads.flatMap(concurrenciesFor))],
      waitSeconds,
      drainTimeoutMs,
      maxBacklog: maxBacklogArg ?? '100 x concurrency',
      ...(workloads.includes('backlog') ? { backlogMessages, backlogSample, rssLimitMiB } : {}),
    },
    targets: targets.map((t) => ({ name: t.name, endpoint: t.endpoint, pid: t.pid ?? null, peakRssBytes: t.peakRss ?? null })),
    client: { cpuUs: cliTotal.user + cliTotal.system, wallS: wallTotalS },
    results: results.flatMap((row) => row.byTarget),
    ratios:
      targets.length > 1
        ? results.map((row) => {
            const [a, b] = row.byTarget;
            const calls = {};
            for (const c of WORKLOADS[row.workload].calls) {
              calls[c] = {
                p50: a.calls?.[c]?.p50Ms / b.calls?.[c]?.p50Ms || null,
                p99: a.calls?.[c]?.p99Ms / b.calls?.[c]?.p99Ms || null,
              };
            }
            return {
              workload: row.workload,
              bodySize: row.bodySize,
              concurrency: row.concurrency,
              msgsPerSec: a.msgsPerSec / b.msgsPerSec || null,
              serverCpuUsPerMsg: a.serverCpuUsPerMsg != null && b.serverCpuUsPerMsg ? a.serverCpuUsPerMsg / b.serverCpuUsPerMsg : null,
              calls,
            };
          })
        : null,
    ok: exitCode === 0,
  };
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  log(`wrote ${file}`);
}

process.exit(exitCode);
