import { describe, expect, it } from 'vitest';
import { AwsError } from '../../shared/aws-error.js';
import { sqsModel } from '../sqs/sqs-model.js';
import { decodeJsonInput } from './decode.js';
import { encodeJsonError } from './encode.js';

const receive = sqsModel.operations.ReceiveMessage.input;
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as AwsError).spec.shape;
  }
  return 'no error';
};

describe('AWS JSON 1.0 decoding', () => {
  it('accepts a well-typed body', () => {
    expect(decodeJsonInput(Buffer.from('{"QueueUrl":"u","MaxNumberOfMessages":3}'), receive)).toEqual({
      QueueUrl: 'u',
      MaxNumberOfMessages: 3,
    });
  });

  it('answers SerializationException for wrong types and malformed JSON', () => {
    expect(codeOf(() => decodeJsonInput(Buffer.from('{"QueueUrl":"u","MaxNumberOfMessages":"3"}'), receive))).toBe(
      'com.amazon.coral.service#SerializationException',
    );
    expect(codeOf(() => decodeJsonInput(Buffer.from('{"QueueUrl":'), receive))).toBe(
      'com.amazon.coral.service#SerializationException',
    );
    expect(codeOf(() => decodeJsonInput(Buffer.from('[1]'), receive))).toBe('com.amazon.coral.service#SerializationException');
  });

  it('answers MissingParameter for a missing required member', () => {
    expect(codeOf(() => decodeJsonInput(Buffer.from('{}'), receive))).toBe('MissingRequiredParameterException');
  });

  it('refuses a null inside a list or a map (InvalidParameterValue), and takes a null member as absent', () => {
    const batch = sqsModel.operations.DeleteMessageBatch.input;
    const tag = sqsModel.operations.TagQueue.input;
    const errorOf = (body: string, shape = receive) => {
      try {
        decodeJsonInput(Buffer.from(body), shape);
      } catch (error) {
        return { type: (error as AwsError).spec.shape, code: (error as AwsError).spec.queryCode, message: (error as AwsError).message };
      }
      return 'no error';
    };
    expect(errorOf('{"QueueUrl":"u","Entries":[null]}', batch)).toEqual({
      type: 'com.amazon.coral.service#InvalidParameterValueException',
      code: 'InvalidParameterValue',
      message: "the parameter 'member' may not be null",
    });
    expect(errorOf('{"QueueUrl":"u","MessageAttributeNames":["a",null]}')).toMatchObject({ message: "the parameter 'member' may not be null" });
    expect(errorOf('{"QueueUrl":"u","Tags":{"a":null}}', tag)).toMatchObject({
      type: 'com.amazon.coral.service#InvalidParameterValueException',
      message: "the parameter 'value' may not be null",
    });
    expect(decodeJsonInput(Buffer.from('{"QueueUrl":"u","MaxNumberOfMessages":null}'), receive)).toEqual({ QueueUrl: 'u', MaxNumberOfMessages: null });
  });
});

describe('AWS JSON 1.0 errors', () => {
  it('namespaces __type and adds x-amzn-query-error for query-compatible services', () => {
    const error = new AwsError(
      { shape: 'QueueDoesNotExist', queryCode: 'AWS.SimpleQueueService.NonExistentQueue', status: 400, fault: 'Sender' },
      'The specified queue does not exist.',
    );
    const encoded = encodeJsonError(error, 'com.amazonaws.sqs', { queryCompatible: true });
    expect(encoded.headers['x-amzn-query-error']).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(JSON.parse(encoded.body)).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'The specified queue does not exist.',
    });
  });
});
