#!/usr/bin/env node
// Starts a peer SQS emulator installed OUTSIDE this repo, for comparisons:
//
//   node bench/peer.mjs fauxqs        [--port 4566] [--host 127.0.0.1] [--peers-dir /tmp/peers]
//   node bench/peer.mjs local-aws-sqs [--port 9324] [--host 127.0.0.1] [--peers-dir /tmp/peers]
//
// The peers are installed with:
//   mkdir -p /tmp/peers && cd /tmp/peers && npm init -y && npm install fauxqs@1.9.2 local-aws-sqs
// (fauxqs 2.x needs Node 22; 1.9.2 runs on Node 20.)
//
// Prints one JSON line {"msg":"ready","peer":...,"url":...} once it accepts requests,
// and exits on SIGTERM/SIGINT. Request logging is off so it does not skew numbers.

import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'peers-dir': { type: 'string', default: process.env.SEALQ_BENCH_PEERS_DIR || '/tmp/peers' },
  },
});
const peer = positionals[0];
const port = Number(values.port);
const host = values.host;
const dir = values['peers-dir'];

function fail(msg) {
  process.stderr.write(`peer.mjs: ${msg}\n`);
  process.exit(2);
}

let close;
let actualPort;
if (peer === 'fauxqs') {
  const app = join(dir, 'node_modules/fauxqs/dist/app.js');
  if (!existsSync(app)) fail(`fauxqs not found at ${app} (npm install fauxqs@1.9.2 in ${dir})`);
  const { buildApp } = await import(pathToFileURL(app).href);
  const server = buildApp({ logger: false });
  await server.listen({ port, host });
  actualPort = server.server.address().port;
  close = () => server.close();
} else if (peer === 'local-aws-sqs') {
  const pkg = join(dir, 'node_modules/local-aws-sqs/package.json');
  if (!existsSync(pkg)) fail(`local-aws-sqs not found in ${dir}/node_modules (npm install local-aws-sqs in ${dir})`);
  const { createSqsServer } = createRequire(pkg)('local-aws-sqs');
  const server = await createSqsServer({ port, hostname: host, emulateQueueCreationLifecycle: false });
  actualPort = server.address().port;
  close = () => new Promise((r) => server.close(r));
} else {
  fail(`usage: node bench/peer.mjs fauxqs|local-aws-sqs [--port P] [--host H] [--peers-dir DIR]`);
}

const url = `http://${host}:${actualPort}`;
process.stdout.write(JSON.stringify({ msg: 'ready', peer, url, pid: process.pid }) + '\n');

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => {
    if (stopping) process.exit(1);
    stopping = true;
    const t = setTimeout(() => process.exit(0), 2000);
    t.unref();
    try {
      await close();
    } finally {
      process.exit(0);
    }
  });
}
