import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/auth/sign.js';
import type { ServiceModel, Shape } from '../../src/protocol/model.js';
import { eventsModel } from '../../src/protocol/events/events-model.js';
import { iamModel } from '../../src/protocol/iam/iam-model.js';
import { kmsModel } from '../../src/protocol/kms/kms-model.js';
import { snsModel } from '../../src/protocol/sns/sns-model.js';
import { sqsModel } from '../../src/protocol/sqs/sqs-model.js';
import { stsModel } from '../../src/protocol/sts/sts-model.js';
import { startTestServer, testCredentials, type TestServer } from '../support/sealq.js';

/**
 * Bad input gets an AWS-shaped client error, never a server error: every action of every API
 * sealq speaks, with each input member in turn set to values of the wrong type or shape (nulls,
 * numbers out of range, empty and bare values, nested nulls), over both wire protocols. Only
 * NotImplemented (501, for the few actions sealq does not serve) may come back as a 5xx.
 * Destructive actions are left out so the fixtures stay in place.
 */

let server: TestServer;
let url: URL;
let queueUrl: string;
let keyId: string;
let topicArn: string;

async function call(service: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  const signed = signRequest({ method: 'POST', url, headers, body, ...testCredentials, region: 'us-east-1', service, now: Date.now() });
  const response = await fetch(url, { method: 'POST', headers: signed, body });
  return { status: response.status, text: await response.text() };
}

const json = (service: string, target: string, version: '1.0' | '1.1', body: unknown) =>
  call(service, { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': target }, JSON.stringify(body));
const form = (service: string, params: Record<string, string>) =>
  call(service, { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams(params).toString());

const DESTRUCTIVE = /^(Delete|Remove|Detach|Disable|Schedule|Revoke|Retire|Purge|Untag|Unsubscribe)/;
const JSON_ODD: unknown[] = [null, -1, 1e20, '', 'x', 'a'.repeat(3000), true, [], [null], ['x'], {}, { a: null }, { a: 'b' }, [{}]];
const FORM_ODD = ['', 'x', '-1', '99999999999999999999', 'true', '\u0000', 'a'.repeat(3000)];

/** Form keys that reach a member: the bare name, and for lists and maps their element paths. */
function formKeys(name: string, shape: Shape & { flattened?: boolean; memberName?: string }): string[] {
  if (shape.type === 'list') {
    const item = shape.flattened ? name : `${name}.${shape.memberName ?? 'member'}`;
    return [`${item}.1`, `${item}.0`, `${item}.1.Id`];
  }
  if (shape.type === 'map') return [`${name}.1.Name`, `${name}.entry.1.key`, `${name}.1.Value.DataType`, `${name}.1`];
  if (shape.type === 'structure') return [name, `${name}.x`];
  return [name];
}

function serverErrors(results: Array<{ what: string; status: number; text: string }>): string[] {
  return results.filter((r) => r.status >= 500 && r.status !== 501).map((r) => `${r.status} ${r.what}: ${r.text.slice(0, 160)}`);
}

beforeAll(async () => {
  server = await startTestServer();
  url = new URL(server.url + '/');
  queueUrl = (JSON.parse((await json('sqs', 'AmazonSQS.CreateQueue', '1.0', { QueueName: 'odd' })).text) as { QueueUrl: string }).QueueUrl;
  keyId = (JSON.parse((await json('kms', 'TrentService.CreateKey', '1.1', {})).text) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
  topicArn = /<TopicArn>([^<]+)/.exec((await form('sns', { Action: 'CreateTopic', Version: '2010-03-31', Name: 'odd' })).text)![1];
});

afterAll(async () => {
  await server.stop();
});

describe('odd input never gets a server error', () => {
  const jsonApis: Array<[string, ServiceModel, string, '1.0' | '1.1', () => Record<string, unknown>]> = [
    ['sqs', sqsModel, 'AmazonSQS', '1.0', () => ({ QueueUrl: queueUrl, QueueName: 'odd', MessageBody: 'b', ReceiptHandle: 'r', Entries: [{ Id: 'a', MessageBody: 'b', ReceiptHandle: 'r' }], WaitTimeSeconds: 0 })],
    ['kms', kmsModel, 'TrentService', '1.1', () => ({ KeyId: keyId, Plaintext: 'aGVsbG8=', AliasName: 'alias/odd', TargetKeyId: keyId })],
    ['events', eventsModel, 'AWSEvents', '1.1', () => ({ Name: 'odd', Rule: 'odd', EventBusName: 'default' })],
  ];
  for (const [service, model, prefix, version, base] of jsonApis) {
    it(`${service}: every action over JSON ${version}`, { timeout: 60_000 }, async () => {
      const results: Array<{ what: string; status: number; text: string }> = [];
      for (const [action, operation] of Object.entries(model.operations)) {
        if (DESTRUCTIVE.test(action)) continue;
        for (const member of Object.keys(operation.input?.members ?? {})) {
          for (const value of JSON_ODD) {
            const response = await json(service, `${prefix}.${action}`, version, { ...base(), [member]: value });
            results.push({ what: `${action} ${member}=${JSON.stringify(value).slice(0, 30)}`, ...response });
          }
        }
      }
      expect(results.length).toBeGreaterThan(100);
      expect(serverErrors(results)).toEqual([]);
    });
  }

  const formApis: Array<[string, ServiceModel, string, () => Record<string, string>]> = [
    ['sqs', sqsModel, '2012-11-05', () => ({ QueueUrl: queueUrl, QueueName: 'odd', MessageBody: 'b', ReceiptHandle: 'r' })],
    ['sns', snsModel, '2010-03-31', () => ({ TopicArn: topicArn, Name: 'odd', Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:odd', Message: 'm' })],
    ['iam', iamModel, '2010-05-08', () => ({ UserName: 'odd', RoleName: 'odd', PolicyArn: 'arn:aws:iam::000000000000:policy/odd' })],
    ['sts', stsModel, '2011-06-15', () => ({ RoleArn: 'arn:aws:iam::000000000000:role/odd', RoleSessionName: 's' })],
  ];
  for (const [service, model, apiVersion, base] of formApis) {
    it(`${service}: every action over the Query protocol`, { timeout: 60_000 }, async () => {
      const results: Array<{ what: string; status: number; text: string }> = [];
      for (const [action, operation] of Object.entries(model.operations)) {
        if (DESTRUCTIVE.test(action)) continue;
        for (const [member, shape] of Object.entries(operation.input?.members ?? {})) {
          for (const key of formKeys((shape as { queryName?: string }).queryName ?? member, shape)) {
            for (const value of FORM_ODD) {
              const response = await form(service, { Action: action, Version: apiVersion, ...base(), [key]: value });
              results.push({ what: `${action} ${key}=${value.slice(0, 20)}`, ...response });
            }
          }
        }
      }
      expect(results.length).toBeGreaterThan(100);
      expect(serverErrors(results)).toEqual([]);
    });
  }
});
