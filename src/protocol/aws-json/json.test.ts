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
