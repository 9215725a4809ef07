import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testCredentials, uniqueName, type TestServer } from '../support/sealq.js';

const run = promisify(execFile);
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

/** The AWS CLI (botocore) signs its own way: sealq must verify it like AWS does. */
async function aws(args: string[], secret = testCredentials.secretAccessKey) {
  try {
    const { stdout } = await run('aws', ['--endpoint-url', server.url, '--output', 'json', ...args], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: secret,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
    });
    return { ok: true, out: stdout ? (JSON.parse(stdout) as Record<string, unknown>) : {}, err: '' };
  } catch (error) {
    const e = error as { stderr?: string; code?: string };
    if (e.code === 'ENOENT') throw new Error('the AWS CLI (aws) is not installed on this machine');
    return { ok: false, out: {}, err: e.stderr ?? '' };
  }
}

describe('requests signed by the AWS CLI', () => {
  it('are verified: SQS (JSON protocol), STS and KMS calls succeed with the right secret', { timeout: 60_000 }, async () => {
    const identity = await aws(['sts', 'get-caller-identity']);
    expect(identity.out).toMatchObject({ Account: '000000000000', Arn: 'arn:aws:iam::000000000000:root' });
    const created = await aws(['sqs', 'create-queue', '--queue-name', uniqueName('cli')]);
    const queueUrl = created.out.QueueUrl as string;
    await aws(['sqs', 'send-message', '--queue-url', queueUrl, '--message-body', 'hello from the cli']);
    const received = await aws(['sqs', 'receive-message', '--queue-url', queueUrl]);
    expect((received.out.Messages as Array<{ Body: string }>)[0].Body).toBe('hello from the cli');
    const key = await aws(['kms', 'create-key', '--description', 'cli']);
    expect((key.out.KeyMetadata as { KeyState: string }).KeyState).toBe('Enabled');
  });

  it('are refused with SignatureDoesNotMatch when signed with the wrong secret', { timeout: 30_000 }, async () => {
    const result = await aws(['sqs', 'list-queues'], 'not-the-secret');
    expect(result.ok).toBe(false);
    expect(result.err).toContain('SignatureDoesNotMatch');
  });
});
