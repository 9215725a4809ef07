/**
 * `sealq redrive`: starts a message move task on a running server through the signed SQS API and
 * follows it, showing progress, until it ends.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as Sqs from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, queueArn, queueAttributes, receiveAll } from '../support/e2e.js';
import { clientFor, startTestServer, testCredentials, type Sdk, type TestServer } from '../support/sealq.js';

const run = promisify(execFile);
const cli = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/cli/main.js');
const sdk = Sqs as unknown as Sdk;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe('sealq redrive', () => {
  it('moves a dead-letter queue back to its source, showing progress, and reports the outcome', async () => {
    const client = clientFor(sdk, server.url);
    const dlq = await createQueue(client, sdk);
    const dlqArn = await queueArn(client, sdk, dlq);
    const source = await createQueue(client, sdk, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) });
    await client.send(
      new Sqs.SendMessageBatchCommand({ QueueUrl: source, Entries: Array.from({ length: 6 }, (_, i) => ({ Id: `m${i}`, MessageBody: `dead-${i}` })) }),
    );
    expect(await receiveAll(client, sdk, source, { visibility: 0 })).toHaveLength(6);
    expect(await receiveAll(client, sdk, source)).toEqual([]);

    const { stdout, stderr } = await run(process.execPath, [cli, 'redrive', '--source-arn', dlqArn, '--rate', '4', '--endpoint', server.url], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: testCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey },
    });
    expect(stdout).toBe('COMPLETED: moved 6 message(s)\n');
    // At 4 messages a second the task takes more than a second: progress was shown on the way.
    expect(stderr).toMatch(/moved [0-5]\/6 \(RUNNING\)/);
    expect(stderr).toMatch(/moved 6\/6 \(COMPLETED\)/);
    expect((await queueAttributes(client, sdk, dlq, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('0');
    expect((await receiveAll(client, sdk, source)).map((m) => m.Body).sort()).toEqual(['dead-0', 'dead-1', 'dead-2', 'dead-3', 'dead-4', 'dead-5']);
  });

  it('fails with the SQS error when the source is not a dead-letter queue', async () => {
    const client = clientFor(sdk, server.url);
    const plain = await queueArn(client, sdk, await createQueue(client, sdk));
    const failed = await run(process.execPath, [cli, 'redrive', '--source-arn', plain, '--endpoint', server.url], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: testCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('Source queue must be configured as a Dead Letter Queue.');
  });
});
