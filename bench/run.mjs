#!/usr/bin/env node
// sealq load benchmark. See bench/README.md.
//
//   node bench/run.mjs [--quick] [--duration S] [--url URL [--pid PID]]
//                      [--vs URL [--vs-pid PID] | --vs-fauxqs | --vs-local-aws-sqs] [--json FILE]
//   node bench/run.mjs --workloads backlog [--backlog-messages N] [--rss-limit-mib M]
//   node bench/run.mjs --storage postgres://... --nodes 3   (1 node vs a 3-node cluster)

import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
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
  --nodes N              with --storage: also run every scenario on a cluster of N sealq
                         nodes sharing one fresh schema, next to a 1-node cluster, and
                         report both, the ratio N nodes/1 node, and database round trips
                         per message (from /metrics, sealq_storage_round_trips_total)
  --url URL              benchmark an already running endpoint instead
  --pid PID              pid of the --url server, for server CPU and peak RSS
  --name NAME            label of the main target (default: sealq)
  --vs URL               also run every scenario against URL; prints ratios main/other
  --vs-pid PID           pid of the --vs server
  --vs-name NAME         label of the --vs target (default: other)
  --vs-same-sse          give the --vs target's queues the same --sse setting (when it is
                         another sealq, e.g. an older build: an A/B run of one change)
  --vs-self              start a second sealq of this build (fresh data dir) as the --vs
                         target; with --vs-sse, one run measures what SSE costs
  --vs-sse MODE          encryption of a sealq --vs target's queues: default, none, sqs, kms
  --vs-fauxqs            start fauxqs (from --peers-dir) as the --vs target
  --vs-local-aws-sqs     start local-aws-sqs (from --peers-dir) as the --vs target
  --peers-dir DIR        where the peers are npm-installed (default: /tmp/peers)

Workloads
  --duration S           seconds per scenario (default 5)
  --rounds N             run every scenario N times, alternating which target goes first, and
                         print the median and range of the ratios (default 1; for A/B runs on a
                         machine whose speed drifts)
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
      nodes: { type: 'string', default: '1' },
      pid: { type: 'string' },
      name: { type: 'string' },
      vs: { type: 'string' },
      'vs-pid': { type: 'string' },
      'vs-name': { type: 'string' },
      'vs-same-sse': { type: 'boolean', default: false },
      'vs-self': { type: 'boolean', default: false },
      'vs-sse': { type: 'string' },
      'vs-fauxqs': { type: 'boolean' },
      'vs-local-aws-sqs': { type: 'boolean' },
      'peers-dir': { type: 'string', default: process.env.SEALQ_BENCH_PEERS_DIR || '/tmp/peers' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
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
const rounds = args.rounds != null ? num(args.rounds, '--rounds', { min: 1, int: true }) : 1;
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
if ([args.vs, args['vs-fauxqs'], args['vs-local-aws-sqs'], args['vs-self']].filter(Boolean).length > 1) {
  usage('use only one of --vs, --vs-self, --vs-fauxqs, --vs-local-aws-sqs');
}
if (args['vs-sse'] != null) {
  if (!['default', 'none', 'sqs', 'kms'].includes(args['vs-sse'])) usage('--vs-sse takes default, none, sqs or kms');
  if (!args.vs && !args['vs-self']) usage('--vs-sse needs a sealq --vs target (--vs URL or --vs-self)');
  if (args['vs-same-sse']) usage('use only one of --vs-sse and --vs-same-sse');
}
if (args.pid && !args.url) usage('--pid goes with --url');
if (args['vs-pid'] && !args.vs) usage('--vs-pid goes with --vs');
if (args.storage && !/^postgres(ql)?:\/\//.test(args.storage)) usage('--storage takes a postgres:// URL');
if (args.storage && args.url) usage('--storage starts sealq: it does not go with --url');
// A URL without a user name: libpq (psql) then logs in as the OS user, node-postgres as $USER,
// which may be unset; make it the OS user for the harness and the servers it starts.
if (args.storage && !process.env.PGUSER && !process.env.USER) process.env.PGUSER = userInfo().username;
const nodeCount = num(args.nodes, '--nodes', { min: 1, max: 32, int: true });
/** --nodes N > 1: the targets are a 1-node and an N-node cluster on the same database. */
const clusterMode = nodeCount > 1;
if (clusterMode) {
  if (!args.storage) usage('--nodes needs --storage postgres://... (the nodes share the database)');
  if (args.vs || vsPeer || args['vs-self']) usage('--nodes does not go with --vs, --vs-self, --vs-fauxqs or --vs-local-aws-sqs');
  if (workloads.includes('backlog')) usage('--nodes does not go with the backlog workload');
}

const log = (msg) => process.stderr.write(msg + '\n');

// ---------------------------------------------------------------- targets

const started = []; // servers we spawned (from the moment they are spawned), stopped in cleanup()
const tempDirs = [];
let cleaning = null;
async function cleanup() {
  cleaning ??= (async () => {
    // SIGTERM to all of them at once; each gets SIGKILL if it is still there 10 s later
    await Promise.all(
      started.splice(0).map(async (s) => {
        const res = await s.stop().catch(() => null);
        if (res && res.signal && res.signal !== 'SIGTERM') log(`note: ${s.name} stopped by ${res.signal}`);
        else if (res && res.code) {
          log(`note: ${s.name} exited with code ${res.code} after SIGTERM; last output:\n  ${s.tail.slice(-5).join('\n  ')}`);
        }
      }),
    );
    for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
    // after the servers: they hold connections (and locks) in their schema
    for (const schema of benchSchemas.splice(0)) {
      await dropBenchSchema(schema).catch((e) => log(`note: could not drop schema ${schema}: ${e.message}`));
    }
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`\n${sig}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

/** With --storage, the schemas this run's servers keep their tables in (one per cluster). */
const benchSchemas = [];
function newBenchSchema() {
  const schema = `sealq_bench_${process.pid}_${Date.now().toString(36)}_${benchSchemas.length}`;
  benchSchemas.push(schema); // dropped by cleanup() from now on, whatever happens
  return schema;
}
async function dropBenchSchema(schema) {
  const { default: pg } = await import('pg');
  const db = new pg.Client({ connectionString: args.storage });
  await db.connect();
  try {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await db.end();
  }
}

async function startNode(name, extraArgs, extraEnv) {
  const cli = join(REPO, 'dist/cli/main.js');
  if (!existsSync(cli)) throw new Error(`${cli} not found: run \`npm run build\` first (npm run bench does)`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'sealq-bench-'));
  tempDirs.push(dataDir);
  const endpoint = `http://127.0.0.1:${port}`;
  log(`starting ${name} on ${endpoint} (data dir ${dataDir})`);
  const server = await startServer({
    name,
    command: process.execPath,
    args: [cli, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...extraArgs],
    cwd: REPO,
    // The server verifies signatures: make the harness's key the default account's root key.
    env: {
      ...process.env,
      SEALQ_ROOT_ACCESS_KEY_ID: creds.accessKeyId,
      SEALQ_ROOT_SECRET_ACCESS_KEY: creds.secretAccessKey,
      ...extraEnv,
    },
    endpoint,
    timeoutMs: serverTimeoutMs,
    onSpawn: (handle) => started.push(handle),
  });
  return { endpoint, pid: server.pid, server, dataDir };
}

/**
 * Starts sealq: one node on SQLite, or (--storage) `n` nodes on one fresh PostgreSQL schema, each
 * with its own port and data dir. The nodes of a cluster share the KMS root key (SSE and KMS
 * material is sealed under it in the shared database), so it is passed to each in SEALQ_ROOT_KEY.
 */
async function startSealq(n = 1, name = 'sealq') {
  if (!args.storage) return { ...(await startNode(name, [])), nodes: null };
  const schema = newBenchSchema();
  const nodeArgs = ['--storage', args.storage, '--storage-schema', schema];
  const env = { SEALQ_ROOT_KEY: randomBytes(32).toString('base64') };
  const label = (i) => (n > 1 ? `sealq ${n}-node cluster, node ${i + 1}` : 'sealq');
  // node 1 first (it creates the schema), then the others together
  const first = await startNode(label(0), nodeArgs, env);
  const rest = await Promise.all(Array.from({ length: n - 1 }, (_, i) => startNode(label(i + 1), nodeArgs, env)));
  const nodes = [first, ...rest];
  return { endpoint: first.endpoint, pid: first.pid, server: first.server, dataDir: first.dataDir, nodes, schema };
}

/** GET /metrics once; the value of `sealq_storage_round_trips_total`, or null. */
function scrapeRoundTrips(endpoint) {
  return new Promise((resolve) => {
    const req = http.get(new URL('/metrics', endpoint), { agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        const m = res.statusCode === 200 ? /^sealq_storage_round_trips_total(?:\{[^}]*\})? (\S+)$/m.exec(text) : null;
        resolve(m ? Number(m[1]) : null);
      });
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}
let warnedNoRoundTrips = false;
/** The round trips of a cluster so far: the sum over its nodes (null if a node does not count them). */
async function clusterRoundTrips(target) {
  const counts = await Promise.all(target.nodes.map((nd) => scrapeRoundTrips(nd.endpoint)));
  if (counts.some((c) => c == null || !Number.isFinite(c))) {
    if (!warnedNoRoundTrips) {
      warnedNoRoundTrips = true;
      log(`note: ${target.name}: /metrics has no sealq_storage_round_trips_total; database round trips not measured`);
    }
    return null;
  }
  return counts.reduce((a, b) => a + b, 0);
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
    : await startSealq(1);
  targets.push({ name: clusterMode ? '1 node' : (args.name ?? 'sealq'), ...main });
  if (clusterMode) {
    targets.push({ name: `${nodeCount} nodes`, ...(await startSealq(nodeCount)) });
  } else if (args.vs) {
    targets.push({ name: args['vs-name'] ?? 'other', endpoint: args.vs, pid: args['vs-pid'] ? pidArg(args['vs-pid'], '--vs-pid') : null });
  } else if (args['vs-self']) {
    const { nodes, ...vs } = await startSealq(1, args['vs-name'] ?? 'sealq-vs');
    targets.push({ name: args['vs-name'] ?? 'sealq-vs', ...vs });
  } else if (vsPeer) {
    targets.push({ name: args['vs-name'] ?? vsPeer, ...(await startPeer(vsPeer)) });
  }
  if (targets.length === 2 && targets[0].name === targets[1].name) targets[1].name += '-2';
  for (const t of targets) {
    t.client = new SqsJsonClient(t.endpoint, creds);
    if (t.nodes) {
      t.clients = t.nodes.map((nd) => new SqsJsonClient(nd.endpoint, creds));
      t.pids = t.nodes.map((nd) => nd.pid);
      t.roundTrips = () => clusterRoundTrips(t);
    }
  }

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
  // Server-side encryption of the main target's queues (--sse); the --vs target keeps its defaults
  // unless --vs-same-sse or --vs-sse. With --nodes both clusters are "main": each gets the same
  // settings (and its own KMS key).
  const attributes = [];
  for (const ti of targets.keys()) {
    const sse = ti === 0 || clusterMode || args['vs-same-sse'] ? args.sse : (args['vs-sse'] ?? 'default');
    if (sse === 'none') attributes[ti] = { SqsManagedSseEnabled: 'false' };
    else if (sse === 'sqs') attributes[ti] = { SqsManagedSseEnabled: 'true' };
    else if (sse === 'kms') {
      const agent = targets[ti].client.agent(1);
      const { KeyMetadata } = await targets[ti].client.json(agent, 'TrentService.CreateKey', { Description: 'bench' });
      agent.destroy();
      attributes[ti] = { KmsMasterKeyId: KeyMetadata.Arn };
    }
  }
  const attributesFor = (ti) => attributes[ti];
  const nodeOpts = (t) => (t.nodes ? { clients: t.clients, pids: t.pids, roundTrips: t.roundTrips } : {});
  const nameWidth = Math.max(...targets.map((t) => t.name.length));
  if (warmupS > 0) {
    for (const [ti, t] of targets.entries()) {
      log(`warmup ${t.name} (${warmupS} s)`);
      for (const w of ['send', 'e2e']) {
        await runScenario({
          ...common,
          client: t.client,
          ...(t.nodes ? { clients: t.clients } : {}),
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

  for (let round = 0; round < rounds; round++) for (const sc of scenarios) {
    const row = { ...sc, round, byTarget: [] };
    // Odd rounds run the targets in the other order, so neither always runs on a warmer machine.
    const order = round % 2 === 1 ? [...targets.entries()].reverse() : [...targets.entries()];
    for (const [ti, t] of order) {
      const label = `${sc.workload} ${fmt.size(sc.bodySize)} c${sc.concurrency}${rounds > 1 ? ` #${round + 1}` : ''}`;
      for (const s of t.nodes ? t.nodes.map((nd) => nd.server) : [t.server]) {
        if (s?.exited) throw new Error(`${s.name} exited (${JSON.stringify(s.exited)}); last output:\n  ${s.tail.join('\n  ')}`);
      }
      let r;
      const queueName = `bench-${runId}-t${ti}-${sc.workload}-${sc.bodySize}-c${sc.concurrency}-r${round}`;
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
            ...nodeOpts(t),
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
      r.round = round;
      row.byTarget[ti] = r;
      let extra = r.e2e ? ` dup=${r.e2e.duplicates} missing=${r.e2e.missing} drain=${r.e2e.drainS.toFixed(2)}s` : '';
      if (r.roundTripsPerMsg != null) extra += ` db ${fmt.rt(r.roundTripsPerMsg)} rt/msg`;
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

  for (const t of targets) {
    t.peakRss = t.pid ? peakRssBytes(t.pid) : null;
    if (t.nodes) for (const nd of t.nodes) nd.peakRss = peakRssBytes(nd.pid);
  }
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
  // Ratios: main/other for --vs; with --nodes, N nodes/1 node (the second target over the first).
  const [num, den] = clusterMode ? [1, 0] : [0, 1];
  const ratioGroup = vs ? `${targets[num].name}/${targets[den].name}` : null;
  // database round trips, where a target's nodes report them
  const hasRt = targets.map((_, ti) => results.some((row) => row.byTarget[ti]?.roundTrips != null));
  const targetCols = (ti) => {
    const g = targets[ti].name;
    const cols = [{ title: 'msgs/s', group: g }];
    if (ti === 0) cols.push({ title: 'calls', group: g });
    cols.push(
      { title: 'err', group: g },
      { title: 'p50 ms', group: g },
      { title: 'p99 ms', group: g },
      { title: 'srv us/msg', group: g },
      { title: 'srv cpu', group: g },
    );
    if (ti === 0 || clusterMode) cols.push({ title: 'cli cpu', group: g });
    if (hasRt[ti]) cols.push({ title: 'db rt/msg', group: g }, { title: 'rt/call', group: g });
    return cols;
  };
  const cols = [
    { title: 'workload', align: 'left' },
    { title: 'body' },
    { title: 'conc' },
    { title: 'call', align: 'left' },
    ...targets.flatMap((_, ti) => targetCols(ti)),
  ];
  if (vs) {
    cols.push(
      { title: 'msgs/s', group: ratioGroup },
      { title: 'p50', group: ratioGroup },
      { title: 'p99', group: ratioGroup },
      { title: 'us/msg', group: ratioGroup },
    );
    if (hasRt[num] && hasRt[den]) cols.push({ title: 'rt/msg', group: ratioGroup });
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
    const calls = WORKLOADS[row.workload].calls;
    calls.forEach((call, i) => {
      const first = i === 0;
      // the scenario's figures on its first line; a phase of its own (backlog: the receive
      // sample) on the line of that call
      const phase = (res) => (first ? res : res?.perCall?.[call]);
      const r = [
        first ? WORKLOADS[row.workload].title + (rounds > 1 ? ` #${row.round + 1}` : '') : '',
        first ? fmt.size(row.bodySize) : '',
        first ? String(row.concurrency) : '',
        call,
      ];
      targets.forEach((_, ti) => {
        const res = row.byTarget[ti];
        const c = res?.calls?.[call];
        const p = phase(res);
        r.push(p ? fmt.int(p.msgsPerSec) : '');
        if (ti === 0) r.push(c ? fmt.int(c.calls) : '-');
        r.push(
          c ? String(c.errors + c.entryFailures) : '-',
          fmt.ms(c?.p50Ms),
          fmt.ms(c?.p99Ms),
          p ? fmt.us(p.serverCpuUsPerMsg) : '',
          p ? fmt.pct(p.serverCpuPct) : '',
        );
        if (ti === 0 || clusterMode) r.push(p ? fmt.pct(p.clientCpuPct) : '');
        if (hasRt[ti]) {
          const perCall = res?.roundTripsPerCall?.[call];
          r.push(first && res ? fmt.rt(res.roundTripsPerMsg) : '', perCall != null ? fmt.rt(perCall) : '');
        }
      });
      if (vs) {
        const [a, b] = [row.byTarget[num], row.byTarget[den]];
        const [ca, cb] = [a?.calls?.[call], b?.calls?.[call]];
        const [pa, pb] = [phase(a), phase(b)];
        r.push(
          pa && pb ? fmt.ratio(pa.msgsPerSec, pb.msgsPerSec) : '',
          fmt.ratio(ca?.p50Ms, cb?.p50Ms),
          fmt.ratio(ca?.p99Ms, cb?.p99Ms),
          pa && pb ? fmt.ratio(pa.serverCpuUsPerMsg, pb.serverCpuUsPerMsg) : '',
        );
        if (hasRt[num] && hasRt[den]) r.push(first && a && b ? fmt.ratio(a.roundTripsPerMsg, b.roundTripsPerMsg) : '');
        r.push(first ? row.byTarget.map(check).join(' / ') : '');
      } else {
        r.push(first ? check(row.byTarget[0]) : '');
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
  for (const t of targets) {
    if (t.nodes && t.nodes.length > 1) {
      out.push(`  ${t.name.padEnd(nameWidth)}  ${t.nodes.map((nd) => `${nd.endpoint} (pid ${nd.pid})`).join(', ')}`);
    } else {
      out.push(`  ${t.name.padEnd(nameWidth)}  ${t.endpoint}${t.pid ? `  pid ${t.pid}` : '  (pid unknown: server CPU not measured)'}`);
    }
    if (t.schema) out.push(`  ${''.padEnd(nameWidth)}  ${args.storage.replace(/\/\/[^@/]*@/, '//')} schema ${t.schema}`);
  }
  out.push('');
  out.push(renderTable(cols, rows));
  out.push('');
  out.push('msgs/s: messages acknowledged per second (end-to-end: sent, received and deleted, drain included).');
  if (workloads.includes('backlog')) {
    out.push('backlog: SendMessageBatch line = the fill; ReceiveMessage line = receive + delete of the sample from the full queue.');
  }
  out.push('p50/p99: latency per call of that type (ReceiveMessage includes long-poll waiting).');
  out.push('srv us/msg: server CPU time (utime+stime of its process tree, /proc) per message; srv/cli cpu: % of one core.');
  if (clusterMode) out.push('  A cluster\'s srv figures are the sum over its nodes (PostgreSQL\'s own CPU is not included).');
  if (hasRt.some(Boolean)) {
    out.push(
      'db rt/msg: PostgreSQL round trips (queries, BEGIN and COMMIT included; sealq_storage_round_trips_total summed over the\n' +
        '  nodes) per message; rt/call: per call of that type, where the scenario makes one kind of call.',
    );
  }
  if (vs && rounds > 1) {
    out.push('');
    out.push(`over ${rounds} rounds, ${targets[num].name}/${targets[den].name}, median (range):`);
    for (const sc of results.filter((row) => row.round === 0)) {
      const same = results.filter((row) => row.workload === sc.workload && row.bodySize === sc.bodySize && row.concurrency === sc.concurrency);
      const ratios = (key) =>
        same
          .map((row) => [row.byTarget[num]?.[key], row.byTarget[den]?.[key]])
          .filter(([a, b]) => a != null && b != null && b !== 0)
          .map(([a, b]) => a / b)
          .sort((x, y) => x - y);
      const median = (v) => (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2);
      const summary = (v) => (v.length ? `${median(v).toFixed(2)} (${v[0].toFixed(2)}–${v[v.length - 1].toFixed(2)})` : '-');
      out.push(
        `  ${`${WORKLOADS[sc.workload].title} ${fmt.size(sc.bodySize)} c${sc.concurrency}`.padEnd(28)}` +
          ` msgs/s ${summary(ratios('msgsPerSec'))}   srv us/msg ${summary(ratios('serverCpuUsPerMsg'))}`,
      );
    }
  }
  if (vs) {
    const [RN, RD] = [targets[num].name, targets[den].name];
    out.push(`ratios are ${RN}/${RD}: msgs/s > 1 means ${RN} is faster; p50, p99, us/msg${hasRt[num] && hasRt[den] ? ', rt/msg' : ''} < 1 mean ${RN} is cheaper.`);
  }
  if (clusterMode) {
    out.push(
      `loops are spread over the nodes: loop i works through node i % N; e2e consumer i through node (i + 1) % N, so messages\n` +
        `  are mostly received through another node than the one they were sent through.`,
    );
    for (const t of targets) {
      const ms = results.map((row) => row.byTarget[targets.indexOf(t)]?.queueVisibleMs).filter((v) => v != null);
      if (ms.length) {
        ms.sort((x, y) => x - y);
        out.push(
          `  ${t.name}: queues created through node 1 answered GetQueueUrl on every node after ` +
            `${fmt.ms(ms[Math.floor(ms.length / 2)])} ms (median), ${fmt.ms(ms[ms.length - 1])} ms (max)`,
        );
      }
    }
  }
  for (const row of results) {
    for (const r of row.byTarget) {
      if (r.e2e) {
        const e = r.e2e;
        out.push(
          `  ${r.target} e2e ${fmt.size(r.bodySize)} c${r.concurrency}${rounds > 1 ? ` #${r.round + 1}` : ''}: sent ${e.sent} (${fmt.int(e.sendRatePerSec)}/s over ${e.produceS.toFixed(1)} s), ` +
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
    const each = t.nodes && t.nodes.length > 1 ? ` (${t.nodes.map((nd) => fmt.bytes(nd.peakRss)).join(', ')})` : '';
    out.push(`peak RSS (VmHWM, process lifetime) ${t.name}: ${t.peakRss != null ? fmt.bytes(t.peakRss) : '- (pid unknown)'}${each}`);
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
      ...(args.storage ? { storage: args.storage.replace(/\/\/[^@/]*@/, '//'), nodes: nodeCount } : {}),
    },
    targets: targets.map((t) => ({
      name: t.name,
      endpoint: t.endpoint,
      pid: t.pid ?? null,
      peakRssBytes: t.peakRss ?? null,
      ...(t.nodes ? { schema: t.schema, nodes: t.nodes.map((nd) => ({ endpoint: nd.endpoint, pid: nd.pid, peakRssBytes: nd.peakRss ?? null })) } : {}),
    })),
    client: { cpuUs: cliTotal.user + cliTotal.system, wallS: wallTotalS },
    results: results.flatMap((row) => row.byTarget),
    // --vs: main/other; --nodes: N nodes/1 node
    ratiosOf: targets.length > 1 ? (clusterMode ? `${targets[1].name}/${targets[0].name}` : `${targets[0].name}/${targets[1].name}`) : null,
    ratios:
      targets.length > 1
        ? results.map((row) => {
            const [a, b] = clusterMode ? [row.byTarget[1], row.byTarget[0]] : row.byTarget;
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
              roundTripsPerMsg: a.roundTripsPerMsg != null && b.roundTripsPerMsg ? a.roundTripsPerMsg / b.roundTripsPerMsg : null,
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
