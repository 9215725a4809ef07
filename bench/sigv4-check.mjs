#!/usr/bin/env node
// Cross-checks bench/lib/sigv4.mjs against @smithy/signature-v4 (the signer the
// AWS SDK uses; present in node_modules as a dependency of @aws-sdk/client-sqs).
// Usage: node bench/sigv4-check.mjs   -> exits 0 when every case matches.

import { createRequire } from 'node:module';
import { createHash, createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SigV4Signer } from './lib/sigv4.mjs';

const require = createRequire(fileURLToPath(new URL('../package.json', import.meta.url)));
let SignatureV4;
try {
  ({ SignatureV4 } = require('@smithy/signature-v4'));
} catch {
  console.log('sigv4-check: @smithy/signature-v4 not installed (npm install first); skipped');
  process.exit(0);
}

class NodeSha256 {
  constructor(secret) {
    this.h = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(data) {
    this.h.update(data);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

const cases = [
  { host: '127.0.0.1:9324', target: 'AmazonSQS.SendMessage', body: '{"QueueUrl":"http://127.0.0.1:9324/000000000000/q","MessageBody":"hello"}', date: Date.UTC(2024, 0, 2, 3, 4, 5) },
  { host: 'localhost:4566', target: 'AmazonSQS.ReceiveMessage', body: '{"QueueUrl":"http://x/1/q","MaxNumberOfMessages":10,"WaitTimeSeconds":20}', date: Date.UTC(2025, 11, 31, 23, 59, 59) },
  { host: 'sqs.local', target: 'AmazonSQS.CreateQueue', body: '{"QueueName":"é-unicode-ü"}', date: Date.UTC(2026, 5, 15, 12, 0, 0) },
  { host: '127.0.0.1:1', target: 'AmazonSQS.ListQueues', body: '', date: Date.UTC(2026, 5, 15, 12, 0, 1) },
];
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

let failed = 0;
for (const region of ['us-east-1', 'eu-west-3']) {
  const ours = new SigV4Signer({ ...creds, region, service: 'sqs' });
  const theirs = new SignatureV4({ credentials: creds, region, service: 'sqs', sha256: NodeSha256, applyChecksum: false });
  for (const c of cases) {
    const { amzDate, authorization } = ours.sign(ours.template(c.host, c.target), c.body, c.date);
    const signed = await theirs.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: c.host.split(':')[0],
        path: '/',
        query: {},
        headers: {
          host: c.host,
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': c.target,
        },
        body: c.body,
      },
      { signingDate: new Date(c.date) },
    );
    const want = signed.headers.authorization;
    const wantDate = signed.headers['x-amz-date'];
    if (want !== authorization || wantDate !== amzDate) {
      failed++;
      console.log(`MISMATCH ${region} ${c.target}\n  ours:   ${amzDate} ${authorization}\n  smithy: ${wantDate} ${want}`);
    }
  }
}
const total = cases.length * 2;
console.log(`sigv4-check: ${total - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
