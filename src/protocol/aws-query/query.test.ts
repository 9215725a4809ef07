import { describe, expect, it } from 'vitest';
import { AwsError } from '../../shared/aws-error.js';
import { sqsModel } from '../sqs/sqs-model.js';
import { decodeQueryInput } from './decode.js';
import { encodeQueryError, encodeQueryResult, escapeXml } from './encode.js';

const decode = (action: string, query: string) =>
  decodeQueryInput(new URLSearchParams(query), sqsModel.operations[action].input);

describe('AWS Query decoding', () => {
  it('reads flattened maps, lists and nested structures by their element names', () => {
    const input = decode(
      'SendMessageBatch',
      'QueueUrl=u&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two' +
        '&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one' +
        '&SendMessageBatchRequestEntry.1.DelaySeconds=5' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=color' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=red+and%20blue',
    );
    expect(input).toEqual({
      QueueUrl: 'u',
      Entries: [
        {
          Id: 'a',
          MessageBody: 'one',
          DelaySeconds: 5,
          MessageAttributes: { color: { DataType: 'String', StringValue: 'red and blue' } },
        },
        { Id: 'b', MessageBody: 'two' },
      ],
    });
  });

  it('reads attribute maps and name lists', () => {
    expect(decode('CreateQueue', 'QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=40&Tag.1.Key=env&Tag.1.Value=prod')).toEqual({
      QueueName: 'q',
      Attributes: { VisibilityTimeout: '40' },
      tags: { env: 'prod' },
    });
    expect(decode('GetQueueAttributes', 'QueueUrl=u&AttributeName.1=All&AttributeName.2=QueueArn')).toEqual({
      QueueUrl: 'u',
      AttributeNames: ['All', 'QueueArn'],
    });
  });

  it('reports a missing required parameter by its Query name', () => {
    expect(() => decode('SendMessage', 'MessageBody=x')).toThrowError(/parameter QueueUrl/);
  });

  it('rejects a zero index as MalformedInput, and a non-integer as InvalidParameterValue', () => {
    expect(() => decode('GetQueueAttributes', 'QueueUrl=u&AttributeName.0=All')).toThrowError(AwsError);
    try {
      decode('ReceiveMessage', 'QueueUrl=u&MaxNumberOfMessages=ten');
      expect.unreachable();
    } catch (error) {
      expect((error as AwsError).spec.queryCode).toBe('InvalidParameterValue');
    }
  });
});

describe('AWS Query decoding of bare values where a structure belongs', () => {
  it('ignores `Entry.N=x` without members: alone it is as if the list were absent, beside real entries it is dropped', () => {
    expect(() => decode('DeleteMessageBatch', 'QueueUrl=u&DeleteMessageBatchRequestEntry.1=x')).toThrowError(
      /parameter DeleteMessageBatchRequestEntry\./,
    );
    expect(decode('SendMessageBatch', 'QueueUrl=u&SendMessageBatchRequestEntry.1=x&SendMessageBatchRequestEntry.2.Id=a&SendMessageBatchRequestEntry.2.MessageBody=b')).toEqual({
      QueueUrl: 'u',
      Entries: [{ Id: 'a', MessageBody: 'b' }],
    });
  });
});

describe('AWS Query encoding', () => {
  it('wraps results and writes flattened lists and maps', () => {
    const { body } = encodeQueryResult(
      'ReceiveMessage',
      sqsModel.operations.ReceiveMessage,
      { Messages: [{ MessageId: 'm', Body: '<a & b>', Attributes: { SenderId: '1' } }] },
      'rid',
      'ns',
    );
    expect(body).toBe(
      '<?xml version="1.0"?><ReceiveMessageResponse xmlns="ns"><ReceiveMessageResult>' +
        '<Message><MessageId>m</MessageId><Body>&lt;a &amp; b&gt;</Body>' +
        '<Attribute><Name>SenderId</Name><Value>1</Value></Attribute></Message>' +
        '</ReceiveMessageResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ReceiveMessageResponse>',
    );
  });

  it('writes operations without output as a bare response', () => {
    const { body } = encodeQueryResult('DeleteQueue', sqsModel.operations.DeleteQueue, undefined, 'rid', 'ns');
    expect(body).toContain('<DeleteQueueResponse xmlns="ns"><ResponseMetadata><RequestId>rid</RequestId>');
  });

  it('renders errors with type, code, message and request id', () => {
    const error = new AwsError({ shape: 'X', queryCode: 'AWS.X', status: 400, fault: 'Sender' }, 'bad <thing>');
    const { status, body } = encodeQueryError(error, 'rid', 'ns');
    expect(status).toBe(400);
    expect(body).toContain('<Error><Type>Sender</Type><Code>AWS.X</Code><Message>bad &lt;thing&gt;</Message>');
    expect(body).toContain('<RequestId>rid</RequestId>');
  });

  it('escapes carriage returns so they survive XML parsing', () => {
    expect(escapeXml('a\r\nb')).toBe('a&#xD;\nb');
  });
});
