import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Sqs from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, errorOf, startTestServer, testCredentials, uniqueName, type TestServer } from '../support/sealq.js';

let certDir: string;
let https: TestServer;
let http: TestServer;

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'sealq-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'),
  ], { stdio: 'ignore' });
  https = await startTestServer({ 'tls-cert': join(certDir, 'cert.pem'), 'tls-key': join(certDir, 'key.pem') });
  http = await startTestServer();
});

afterAll(async () => {
  await https.stop();
  await http.stop();
  rmSync(certDir, { recursive: true, force: true });
});

const tlsClient = () =>
  new Sqs.SQSClient({
    endpoint: https.url,
    region: 'us-east-1',
    credentials: testCredentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: readFileSync(join(certDir, 'cert.pem')) }) }),
  });

/** A queue whose policy refuses sends that do not come over TLS, even from the account root. */
const insecureSendsDenied = (arnOf: (name: string) => string, name: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:SendMessage',
        Resource: arnOf(name),
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });

describe('HTTPS', () => {
  it('serves the API over TLS with --tls-cert and --tls-key', async () => {
    expect(https.url).toMatch(/^https:\/\//);
    const client = tlsClient();
    const { QueueUrl } = await client.send(new Sqs.CreateQueueCommand({ QueueName: uniqueName() }));
    expect(QueueUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/000000000000\//);
  });

  it('reports aws:SecureTransport: a TLS-only queue policy admits TLS sends and denies plain HTTP ones', async () => {
    const arnOf = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
    const secure = tlsClient();
    const name = uniqueName('tls');
    const { QueueUrl } = await secure.send(
      new Sqs.CreateQueueCommand({ QueueName: name, Attributes: { Policy: insecureSendsDenied(arnOf, name) } }),
    );
    await secure.send(new Sqs.SendMessageCommand({ QueueUrl, MessageBody: 'over tls' }));

    const plain = clientFor(Sqs as never, http.url);
    const plainName = uniqueName('tls');
    const created = await plain.send(
      new Sqs.CreateQueueCommand({ QueueName: plainName, Attributes: { Policy: insecureSendsDenied(arnOf, plainName) } }),
    );
    const error = await errorOf(plain.send(new Sqs.SendMessageCommand({ QueueUrl: created.QueueUrl, MessageBody: 'in clear' })));
    expect(error).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(error.message).toMatch(/not authorized to perform: sqs:SendMessage .* explicit deny/);
  });
});
