#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, options, readConfigFile } from '../config/config.js';
import { startSealq, version } from '../main.js';

const usage = `sealq ${version}: a self-hosted message queue that speaks the Amazon SQS API

Usage:
  sealq serve [options]     serve the SQS API
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

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      return serve(rest);
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
