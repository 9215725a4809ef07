import { describe, expect, it } from 'vitest';
import { sqsActions } from '../services/sqs/actions.js';
import { SqsService } from '../services/sqs/sqs-service.js';
import { camelName, toInternal, toWire } from './model.js';
import { sqsModel } from './sqs/sqs-model.js';

describe('the generated SQS model', () => {
  it('lists the same 23 actions the service implements', () => {
    expect(Object.keys(sqsModel.operations).sort()).toEqual([...sqsActions].sort());
    for (const action of sqsActions) {
      const method = action.charAt(0).toLowerCase() + action.slice(1);
      expect(typeof (SqsService.prototype as unknown as Record<string, unknown>)[method], method).toBe('function');
    }
  });

  it('carries the Query element names AWS uses', () => {
    const receive = sqsModel.operations.ReceiveMessage;
    expect(receive.input.members.AttributeNames.queryName).toBe('AttributeName');
    expect(receive.input.members.MessageAttributeNames.queryName).toBe('MessageAttributeName');
    expect(sqsModel.operations.AddPermission.input.members.Actions.queryName).toBe('ActionName');
    expect(sqsModel.operations.CreateQueue.input.members.Attributes.queryName).toBe('Attribute');
    expect(sqsModel.operations.CreateQueue.input.members.tags.queryName).toBe('Tag');
    expect(sqsModel.operations.SendMessageBatch.input.members.Entries.queryName).toBe('SendMessageBatchRequestEntry');
    expect(sqsModel.operations.ListQueues.resultWrapper).toBe('ListQueuesResult');
  });
});

describe('wire names and internal names', () => {
  it.each([
    ['QueueUrl', 'queueUrl'],
    ['MD5OfMessageBody', 'md5OfMessageBody'],
    ['AWSAccountIds', 'awsAccountIds'],
    ['QueueOwnerAWSAccountId', 'queueOwnerAWSAccountId'],
    ['queueUrls', 'queueUrls'],
    ['tags', 'tags'],
  ])('%s ↔ %s', (wire, internal) => {
    expect(camelName(wire)).toBe(internal);
  });

  it('converts blobs and leaves map keys alone', () => {
    const shape = sqsModel.operations.SendMessage.input;
    const internal = toInternal(shape, {
      QueueUrl: 'u',
      MessageBody: 'b',
      MessageAttributes: { MyAttr: { DataType: 'Binary', BinaryValue: Buffer.from('hi').toString('base64') } },
    }) as { messageAttributes: Record<string, { binaryValue: Buffer }> };
    expect(internal.messageAttributes.MyAttr.binaryValue.toString()).toBe('hi');
  });

  it('drops empty optional lists from outputs but keeps required ones', () => {
    const receive = sqsModel.operations.ReceiveMessage.output!;
    expect(toWire(receive, { messages: [] })).toEqual({});
    const batch = sqsModel.operations.DeleteMessageBatch.output!;
    expect(toWire(batch, { successful: [{ id: 'a' }], failed: [] })).toEqual({ Successful: [{ Id: 'a' }], Failed: [] });
  });
});
