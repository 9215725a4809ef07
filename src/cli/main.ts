#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signRequest } from '../auth/sign.js';
import { predictedRequests } from '../services/kms/metering.js';
import { loadRootKey } from '../services/kms/crypto.js';
import { resealUnderNewRootKey, writeRootKeyFile } from '../services/kms/root-key-rotation.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { PgStore } from '../storage/postgres/pg-store.js';
import { ConfigError, defaultConfig, loadConfig, options, readConfigFile } from '../config/config.js';
import { startSealq, version } from '../main.js';

const usage = `sealq ${version}: a self-hosted message queue that speaks the Amazon SQS API

Usage:
  sealq serve [options]     serve the SQS, IAM and STS APIs
  sealq explain --principal ARN --action ACTION --resource ARN [--context KEY=VALUE ...]
                            ask a running server whether a principal may do an action, and why
                            (--endpoint URL, default http://127.0.0.1:9324; signs with
                            AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SEALQ_ROOT_* or the
                            root-credentials.json in --data-dir); exits 0 on Allow, 1 on a denial
  sealq kms-usage [--from DATE] [--to DATE]
                            the account's metered KMS calls, by operation, key, queue and principal
  sealq kms-cost estimate --billing-period S --reuse-period S --producers N --consumers N
                            KMS requests one queue causes, R = B / D × (2P + C); several queues:
                            --queue P,C (repeatable) instead of --producers/--consumers
  sealq kms-cost report [--from DATE] [--to DATE]
                            per queue, KMS calls metered against the formula's prediction
  sealq deliver --as-service PRINCIPAL [--source-arn ARN] [--source-account ID] --queue-url URL --body TEXT
                            send as an AWS service principal (e.g. sns.amazonaws.com), through the
                            path event sources use: queue policy, key policy, SSE
  sealq redrive --source-arn ARN [--destination-arn ARN] [--rate N]
                            start a message move task out of a dead-letter queue on a running
                            server and show its progress until it ends (--endpoint, --data-dir)
  sealq root-key rotate [--data-dir DIR] [--root-key-file FILE] [--storage URL --storage-schema S]
                            re-seal all KMS key material under a new root key (every node stopped)
  sealq version             print the version
  sealq help                show this help

Options for serve (each also as an environment variable):
${Object.values(options)
  .map((o) => `  --${o.flag.padEnd(20)} ${o.env.padEnd(26)} ${o.help}`)
  .join('\n')}
  --config FILE          SEALQ_CONFIG               YAML or JSON file with any of the options above
`;

async function serve(argv: string[]): Promise<void> {
  const parsed = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(
        Object.values(options)
          .filter((o) => o.kind !== 'accounts')
          .map((o) => [o.flag, { type: o.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }]),
      ),
      config: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const filePath = (parsed.values.config as string | undefined) ?? process.env.SEALQ_CONFIG;
  const config = loadConfig({
    file: filePath ? readConfigFile(filePath) : undefined,
    filePath,
    env: process.env,
    flags: parsed.values as Record<string, unknown>,
  });
  const sealq = await startSealq(config);
  const shutdown = (signal: string) => {
    process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), msg: 'stopping', signal }) + '\n');
    sealq.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.stdout.write(
    JSON.stringify({
      level: 30,
      time: Date.now(),
      msg: 'ready',
      url: sealq.url,
      dataDir: config.dataDir,
      accountId: config.accountId,
      region: config.region,
      version,
    }) + '\n',
  );
}

async function explain(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      principal: { type: 'string' },
      action: { type: 'string' },
      resource: { type: 'string' },
      context: { type: 'string', multiple: true },
      endpoint: { type: 'string' },
      'data-dir': { type: 'string' },
      region: { type: 'string' },
    },
    strict: true,
  });
  for (const required of ['principal', 'action', 'resource'] as const) {
    if (!values[required]) throw new Error(`--${required} is required`);
  }
  const context: Record<string, string[]> = {};
  for (const pair of values.context ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--context takes KEY=VALUE, got '${pair}'`);
    (context[pair.slice(0, eq)] ??= []).push(pair.slice(eq + 1));
  }
  const text = await adminCallText(
    '/_sealq/explain',
    { principal: values.principal, action: values.action, resource: values.resource, context },
    values.endpoint,
    values['data-dir'],
    values.region,
  );
  const answer = JSON.parse(text) as { decision: string; explanation: string[] };
  process.stdout.write(`${answer.decision}\n${answer.explanation.map((l) => `  ${l}`).join('\n')}\n`);
  if (answer.decision !== 'Allow') process.exitCode = 1;
}

/**
 * One signed POST to a running server, as the CLI's caller (AWS_* variables, SEALQ_ROOT_* or the
 * data directory's root credentials).
 */
async function signedPost(
  path: string,
  headers: Record<string, string>,
  payload: unknown,
  endpointFlag: string | undefined,
  dataDirFlag: string | undefined,
  region = process.env.SEALQ_REGION ?? defaultConfig.region,
): Promise<{ ok: boolean; status: number; text: string }> {
  const credentials = cliCredentials(dataDirFlag ?? process.env.SEALQ_DATA_DIR ?? defaultConfig.dataDir);
  const endpoint = new URL(path, endpointFlag ?? `http://${defaultConfig.host}:${process.env.SEALQ_PORT ?? defaultConfig.port}`);
  const body = JSON.stringify(payload);
  const signed = signRequest({ method: 'POST', url: endpoint, headers, body, ...credentials, region, service: 'sqs', now: Date.now() });
  const response = await fetch(endpoint, { method: 'POST', headers: signed, body });
  return { ok: response.ok, status: response.status, text: await response.text() };
}

/** A signed call to one of sealq's own endpoints (explain, kms-usage): its JSON answer as text. */
async function adminCallText(
  path: string,
  payload: unknown,
  endpointFlag: string | undefined,
  dataDirFlag: string | undefined,
  region?: string,
): Promise<string> {
  const answer = await signedPost(path, { 'content-type': 'application/json' }, payload, endpointFlag, dataDirFlag, region);
  if (!answer.ok) throw new Error(`the server answered ${answer.status}: ${answer.text}`);
  return answer.text;
}

async function adminCall(path: string, payload: unknown, endpointFlag: string | undefined, dataDirFlag: string | undefined): Promise<unknown> {
  return JSON.parse(await adminCallText(path, payload, endpointFlag, dataDirFlag));
}

interface UsageAnswer {
  summary: { total: number; byOperation: Record<string, number>; byKey: Record<string, number>; byQueue: Record<string, number>; byPrincipal: Record<string, number>; errors: Record<string, number> };
  report: Array<{ queueArn: string; metered: number; predicted: number; producers: number; consumers: number; reusePeriodSeconds: number }>;
}

/** One signed SQS call (AWS JSON 1.0) to a running server. */
async function sqsCall(action: string, payload: unknown, endpointFlag: string | undefined, dataDirFlag: string | undefined): Promise<Record<string, unknown>> {
  const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` };
  const answer = await signedPost('/', headers, payload, endpointFlag, dataDirFlag);
  if (!answer.ok) {
    const error = JSON.parse(answer.text) as { __type?: string; message?: string };
    throw new Error(`${action}: ${error.__type?.replace(/^.*#/, '') ?? answer.status}: ${error.message ?? answer.text}`);
  }
  return JSON.parse(answer.text) as Record<string, unknown>;
}

/** Starts a message move task and follows it: progress on stderr, the outcome on stdout. */
async function redrive(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'source-arn': { type: 'string' },
      'destination-arn': { type: 'string' },
      rate: { type: 'string' },
      endpoint: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  const source = values['source-arn'];
  if (!source) throw new Error('--source-arn is required');
  const call = (action: string, payload: unknown) => sqsCall(action, payload, values.endpoint, values['data-dir']);
  const started = await call('StartMessageMoveTask', {
    SourceArn: source,
    ...(values['destination-arn'] ? { DestinationArn: values['destination-arn'] } : {}),
    ...(values.rate ? { MaxNumberOfMessagesPerSecond: Number(values.rate) } : {}),
  });
  const handle = started.TaskHandle as string;
  for (;;) {
    const { Results } = (await call('ListMessageMoveTasks', { SourceArn: source, MaxResults: 10 })) as {
      Results?: Array<{ TaskHandle?: string; Status: string; ApproximateNumberOfMessagesMoved: number; ApproximateNumberOfMessagesToMove?: number; FailureReason?: string }>;
    };
    // The running task carries its handle; once it has ended, it is the newest entry.
    const task = Results?.find((t) => t.TaskHandle === handle) ?? Results?.[0];
    if (!task) throw new Error('the move task is gone');
    process.stderr.write(`\rmoved ${task.ApproximateNumberOfMessagesMoved}/${task.ApproximateNumberOfMessagesToMove ?? '?'} (${task.Status})   `);
    if (task.Status !== 'RUNNING' && task.Status !== 'CANCELLING') {
      process.stderr.write('\n');
      process.stdout.write(`${task.Status}: moved ${task.ApproximateNumberOfMessagesMoved} message(s)${task.FailureReason ? ` (${task.FailureReason})` : ''}\n`);
      if (task.Status !== 'COMPLETED') process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function kmsUsage(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { from: { type: 'string' }, to: { type: 'string' }, endpoint: { type: 'string' }, 'data-dir': { type: 'string' } },
    strict: true,
  });
  const answer = (await adminCall('/_sealq/kms-usage', { from: values.from, to: values.to }, values.endpoint, values['data-dir'])) as UsageAnswer;
  const s = answer.summary;
  const section = (title: string, m: Record<string, number>) =>
    `${title}\n${Object.entries(m).sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${String(v).padStart(8)}  ${k}`).join('\n') || '  (none)'}`;
  process.stdout.write(
    [`KMS calls: ${s.total}`, section('by operation', s.byOperation), section('by key', s.byKey), section('by queue', s.byQueue), section('by principal', s.byPrincipal), section('errors', s.errors)].join('\n') + '\n',
  );
}

async function kmsCost(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'estimate') {
    const { values } = parseArgs({
      args: rest,
      options: {
        'billing-period': { type: 'string' },
        'reuse-period': { type: 'string' },
        producers: { type: 'string' },
        consumers: { type: 'string' },
        queue: { type: 'string', multiple: true },
      },
      strict: true,
    });
    const number = (name: string, text: string | undefined) => {
      const n = Number(text);
      if (text === undefined || !Number.isFinite(n) || n < 0) throw new Error(`--${name} takes a non-negative number`);
      return n;
    };
    const billingPeriodSeconds = number('billing-period', values['billing-period']);
    const reusePeriodSeconds = number('reuse-period', values['reuse-period']);
    if (reusePeriodSeconds <= 0) throw new Error('--reuse-period must be positive');
    const queues = values.queue?.length
      ? values.queue.map((q) => {
          const [p, c] = q.split(',').map((x) => number('queue', x));
          return { producers: p, consumers: c };
        })
      : [{ producers: number('producers', values.producers), consumers: number('consumers', values.consumers) }];
    let total = 0;
    queues.forEach((q, i) => {
      const r = predictedRequests({ billingPeriodSeconds, reusePeriodSeconds, ...q });
      total += r;
      process.stdout.write(`queue ${i + 1}: ${billingPeriodSeconds} / ${reusePeriodSeconds} × (2 × ${q.producers} + ${q.consumers}) = ${formatCount(r)}\n`);
    });
    process.stdout.write(`total KMS requests: ${formatCount(total)}\n`);
    return;
  }
  if (sub === 'report') {
    const { values } = parseArgs({
      args: rest,
      options: { from: { type: 'string' }, to: { type: 'string' }, endpoint: { type: 'string' }, 'data-dir': { type: 'string' } },
      strict: true,
    });
    const answer = (await adminCall('/_sealq/kms-usage', { from: values.from, to: values.to }, values.endpoint, values['data-dir'])) as UsageAnswer;
    for (const q of answer.report) {
      process.stdout.write(
        `${q.queueArn}: metered ${q.metered}, predicted ${formatCount(q.predicted)} (P=${q.producers}, C=${q.consumers}, D=${q.reusePeriodSeconds}s)\n`,
      );
    }
    if (answer.report.length === 0) process.stdout.write('no KMS calls made through SQS in that period\n');
    return;
  }
  throw new Error("kms-cost takes 'estimate' or 'report'");
}

const formatCount = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2));

function cliCredentials(dataDir: string): { accessKeyId: string; secretAccessKey: string } {
  const env = process.env;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
  }
  if (env.SEALQ_ROOT_ACCESS_KEY_ID && env.SEALQ_ROOT_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.SEALQ_ROOT_ACCESS_KEY_ID, secretAccessKey: env.SEALQ_ROOT_SECRET_ACCESS_KEY };
  }
  const file = join(dataDir, 'root-credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  throw new Error('no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or point --data-dir at the server data');
}

async function deliver(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'as-service': { type: 'string' },
      'source-arn': { type: 'string' },
      'source-account': { type: 'string' },
      'queue-url': { type: 'string' },
      body: { type: 'string' },
      'message-group-id': { type: 'string' },
      endpoint: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  for (const required of ['as-service', 'queue-url', 'body'] as const) {
    if (!values[required]) throw new Error(`--${required} is required`);
  }
  const answer = await adminCall(
    '/_sealq/deliver',
    {
      asService: values['as-service'],
      sourceArn: values['source-arn'],
      sourceAccount: values['source-account'],
      queueUrl: values['queue-url'],
      body: values.body,
      messageGroupId: values['message-group-id'],
    },
    values.endpoint ?? new URL(values['queue-url']!).origin,
    values['data-dir'],
  );
  process.stdout.write(JSON.stringify(answer, null, 2) + '\n');
}

async function rootKey(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'rotate') throw new Error("root-key takes 'rotate'");
  const { values } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string' },
      'root-key-file': { type: 'string' },
      storage: { type: 'string' },
      'storage-schema': { type: 'string' },
    },
    strict: true,
  });
  const storage = values.storage ?? (process.env.SEALQ_STORAGE || 'sqlite');
  const dataDir = values['data-dir'] ?? process.env.SEALQ_DATA_DIR ?? defaultConfig.dataDir;
  const file = values['root-key-file'] ?? (process.env.SEALQ_ROOT_KEY_FILE || undefined);
  const current = loadRootKey({ base64: process.env.SEALQ_ROOT_KEY || undefined, file, dataDir });
  if (current.generated) throw new Error(`no root key found for ${dataDir}: nothing to rotate`);
  // The key material lives wherever the server keeps its data: SQLite in the data directory, or
  // the PostgreSQL schema every node shares (stop them all first).
  const store =
    storage === 'sqlite'
      ? new SqliteStore({ dataDir })
      : await PgStore.open({ connectionString: storage, schema: values['storage-schema'] ?? (process.env.SEALQ_STORAGE_SCHEMA || undefined) });
  try {
    const newKey = await resealUnderNewRootKey(store.identity(), current.key, (done, total) => {
      process.stderr.write(`\rre-sealed ${done}/${total} keys`);
    });
    process.stderr.write('\n');
    if (current.source === 'environment') {
      process.stdout.write(`all key material is now sealed under a new root key; set SEALQ_ROOT_KEY=${newKey.toString('base64')}\n`);
    } else {
      const path = file ?? join(dataDir, 'root.key');
      writeRootKeyFile(path, newKey, true);
      process.stdout.write(`all key material is now sealed under the new root key in ${path} (the old one is ${path}.previous)\n`);
    }
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'explain':
      return explain(rest);
    case 'kms-usage':
      return kmsUsage(rest);
    case 'kms-cost':
      return kmsCost(rest);
    case 'root-key':
      return rootKey(rest);
    case 'deliver':
      return deliver(rest);
    case 'redrive':
      return redrive(rest);
    case 'version':
    case '--version':
      process.stdout.write(`${version}\n`);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return;
    default:
      process.stderr.write(`unknown command '${command}'\n\n${usage}`);
      process.exitCode = 2;
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
