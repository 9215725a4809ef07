#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signRequest } from '../auth/sign.js';
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
  const credentials = cliCredentials(values['data-dir'] ?? process.env.SEALQ_DATA_DIR ?? defaultConfig.dataDir);
  const endpoint = new URL('/_sealq/explain', values.endpoint ?? `http://${defaultConfig.host}:${process.env.SEALQ_PORT ?? defaultConfig.port}`);
  const body = JSON.stringify({ principal: values.principal, action: values.action, resource: values.resource, context });
  const headers = signRequest({
    method: 'POST',
    url: endpoint,
    headers: { 'content-type': 'application/json' },
    body,
    ...credentials,
    region: values.region ?? process.env.SEALQ_REGION ?? defaultConfig.region,
    service: 'sqs',
    now: Date.now(),
  });
  const response = await fetch(endpoint, { method: 'POST', headers, body });
  const text = await response.text();
  if (!response.ok) throw new Error(`the server answered ${response.status}: ${text}`);
  const answer = JSON.parse(text) as { decision: string; explanation: string[] };
  process.stdout.write(`${answer.decision}\n${answer.explanation.map((l) => `  ${l}`).join('\n')}\n`);
  if (answer.decision !== 'Allow') process.exitCode = 1;
}

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

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'explain':
      return explain(rest);
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
