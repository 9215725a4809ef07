import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as Iam from '@aws-sdk/client-iam';
import * as Sqs from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, startTestServer, testCredentials, uniqueName, type TestServer } from '../support/sealq.js';

const run = promisify(execFile);
const cli = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/cli/main.js');

let server: TestServer;
beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('dist/cli/main.js is missing: npm test builds it first');
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

async function explain(principal: string, action: string, resource: string) {
  try {
    const { stdout } = await run(
      process.execPath,
      [cli, 'explain', '--endpoint', server.url, '--principal', principal, '--action', action, '--resource', resource],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: testCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey } },
    );
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe('sealq explain', () => {
  it('says why a user is denied, and which statement allows when one does', async () => {
    const iam = new Iam.IAMClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials });
    const sqs = clientFor(Sqs as never, server.url);
    const name = uniqueName('explain');
    await sqs.send(new Sqs.CreateQueueCommand({ QueueName: name }));
    const queueArn = `arn:aws:sqs:us-east-1:000000000000:${name}`;
    const userName = uniqueName('u');
    await iam.send(new Iam.CreateUserCommand({ UserName: userName }));
    await iam.send(
      new Iam.PutUserPolicyCommand({
        UserName: userName,
        PolicyName: 'send-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'Send', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn }],
        }),
      }),
    );
    const userArn = `arn:aws:iam::000000000000:user/${userName}`;

    const denied = await explain(userArn, 'sqs:ReceiveMessage', queueArn);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/^ImplicitDeny\n/);
    expect(denied.stdout).toContain(`no statement allows sqs:ReceiveMessage on ${queueArn} for ${userArn}`);
    expect(denied.stdout).toContain('send-only');

    const allowed = await explain(userArn, 'sqs:SendMessage', queueArn);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^Allow\n/);
    expect(allowed.stdout).toMatch(/send-only" statement 0/);
  });
});
