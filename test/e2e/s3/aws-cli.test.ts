/**
 * The AWS CLI (botocore) speaks S3 its own way: `aws s3 cp` uploads small files with PutObject and
 * large ones as multipart uploads, both with its own checksums; `s3api` sets a notification
 * configuration whose validation fails until the queue admits S3.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testCredentials, type TestServer } from '../../support/sealq.js';
import { Sqs, bucketName, clientsFor, poll, queue, s3QueuePolicy } from './helpers.js';

const run = promisify(execFile);
let server: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'sealq-s3-cli-'));

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function aws(args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('aws', ['--endpoint-url', server.url, ...args], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: string };
    if (e.code === 'ENOENT') throw new Error('the AWS CLI (aws) is not installed on this machine');
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the AWS CLI', () => {
  // Eleven CLI runs and a 20 MiB multipart transfer: about 16 s alone, twice that under the full suite.
  it('copies small and multipart-sized files in and out byte for byte, lists and removes them', { timeout: 90_000 }, async () => {
    const name = bucketName('cli');
    expect((await aws(['s3api', 'create-bucket', '--bucket', name])).ok).toBe(true);
    const small = join(dir, 'small.txt');
    const large = join(dir, 'large.bin');
    writeFileSync(small, 'hello from the cli\n');
    writeFileSync(large, randomBytes(20 * 1024 * 1024 + 5));
    expect((await aws(['s3', 'cp', small, `s3://${name}/docs/small.txt`, '--only-show-errors'])).ok).toBe(true);
    const upload = await aws(['s3', 'cp', large, `s3://${name}/large.bin`, '--only-show-errors']);
    expect(upload.stderr).toBe('');
    const listed = await aws(['s3', 'ls', `s3://${name}`, '--recursive']);
    expect(listed.stdout).toContain('docs/small.txt');
    expect(listed.stdout).toContain('large.bin');
    const back = join(dir, 'back.bin');
    expect((await aws(['s3', 'cp', `s3://${name}/large.bin`, back, '--only-show-errors'])).ok).toBe(true);
    expect(readFileSync(back).equals(readFileSync(large))).toBe(true);
    const head = JSON.parse((await aws(['s3api', 'head-object', '--bucket', name, '--key', 'large.bin', '--output', 'json'])).stdout) as { ETag: string };
    expect(head.ETag).toMatch(/-\d+"$/);
    // A bucket-to-bucket copy of a multipart-sized object: the CLI copies it part by part (UploadPartCopy).
    const copied = await aws(['s3', 'cp', `s3://${name}/large.bin`, `s3://${name}/copy/large.bin`, '--only-show-errors']);
    expect(copied.stderr).toBe('');
    const copyBack = join(dir, 'copy-back.bin');
    expect((await aws(['s3', 'cp', `s3://${name}/copy/large.bin`, copyBack, '--only-show-errors'])).ok).toBe(true);
    expect(readFileSync(copyBack).equals(readFileSync(large))).toBe(true);
    const copyHead = JSON.parse((await aws(['s3api', 'head-object', '--bucket', name, '--key', 'copy/large.bin', '--output', 'json'])).stdout) as { ETag: string };
    expect(copyHead.ETag).toMatch(/-\d+"$/);
    expect((await aws(['s3', 'rm', `s3://${name}`, '--recursive', '--only-show-errors'])).ok).toBe(true);
    expect((await aws(['s3', 'rb', `s3://${name}`])).ok).toBe(true);
  });

  it('put-bucket-notification-configuration fails validation until the queue policy admits S3', async () => {
    const c = clientsFor(server);
    const name = bucketName('cli-events');
    await aws(['s3api', 'create-bucket', '--bucket', name]);
    const q = await queue(c, {}, 'cli');
    const configuration = JSON.stringify({ QueueConfigurations: [{ Id: 'all', QueueArn: q.arn, Events: ['s3:ObjectCreated:*'] }] });
    const args = ['s3api', 'put-bucket-notification-configuration', '--bucket', name, '--notification-configuration', configuration];
    const refused = await aws(args);
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toContain('(InvalidArgument)');
    expect(refused.stderr).toContain('Unable to validate the following destination configurations');
    await c.sqs.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: s3QueuePolicy(q.arn, `arn:aws:s3:::${name}`) } }));
    expect((await aws(args)).ok).toBe(true);
    const file = join(dir, 'event.txt');
    writeFileSync(file, 'x');
    await aws(['s3', 'cp', file, `s3://${name}/event.txt`, '--only-show-errors']);
    const got = await poll(c, q.url, 2);
    expect(got.map((m) => (JSON.parse(m.Body!) as { Event?: string; Records?: Array<{ eventName: string }> })).map((b) => b.Event ?? b.Records?.[0].eventName).sort()).toEqual([
      'ObjectCreated:Put',
      's3:TestEvent',
    ]);
  });
});
