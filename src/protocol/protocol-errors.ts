import { AwsError, type AwsErrorSpec } from '../shared/aws-error.js';

/**
 * Errors the wire codecs raise before any service sees the request. They are the same for every
 * AWS service sealq speaks, so they live here rather than in a service catalogue.
 */
const spec = (shape: string, queryCode: string, status: number, fault: 'Sender' | 'Receiver' = 'Sender'): AwsErrorSpec =>
  Object.freeze({ shape, queryCode, status, fault });

export const protocolErrorSpecs = {
  // AWS: JSON-protocol framing errors come from the service framework, not the service model.
  SerializationException: spec('com.amazon.coral.service#SerializationException', 'SerializationException', 400),
  UnknownOperationException: spec('com.amazon.coral.service#UnknownOperationException', 'UnknownOperationException', 400),
  InvalidAction: spec('InvalidAction', 'InvalidAction', 400),
  MissingAction: spec('MissingAction', 'MissingAction', 400),
  MalformedInput: spec('MalformedInput', 'MalformedInput', 400),
  MissingParameter: spec('MissingRequiredParameterException', 'MissingParameter', 400),
  InvalidParameterValue: spec('InvalidParameterValueException', 'InvalidParameterValue', 400),
  // AWS: a JSON null inside a list or map is refused by the framework, before the service.
  NullCollectionMember: spec('com.amazon.coral.service#InvalidParameterValueException', 'InvalidParameterValue', 400),
  RequestEntityTooLarge: spec('RequestEntityTooLarge', 'RequestEntityTooLarge', 413),
  MissingAuthenticationToken: spec('MissingAuthenticationTokenException', 'MissingAuthenticationToken', 403),
  IncompleteSignature: spec('IncompleteSignatureException', 'IncompleteSignature', 400),
  InternalFailure: spec('InternalFailure', 'InternalFailure', 500, 'Receiver'),
  NotFound: spec('NotFound', 'NotFound', 404),
  NotImplemented: spec('NotImplemented', 'NotImplemented', 501, 'Receiver'),
} as const;

const make = (name: keyof typeof protocolErrorSpecs, message: string) => new AwsError(protocolErrorSpecs[name], message);

export const protocolErrors = {
  serialization: (message: string) => make('SerializationException', message),
  // AWS: real SQS answers an unknown X-Amz-Target with a bare `{"__type":"…#UnknownOperationException"}`.
  unknownOperation: (_target: string) => make('UnknownOperationException', ''),
  invalidAction: (action: string) => make('InvalidAction', `The action ${action} is not valid for this web service.`),
  missingAction: () => make('MissingAction', 'The request must contain the parameter Action.'),
  malformedInput: (message: string) => make('MalformedInput', message),
  missingParameter: (name: string) => make('MissingParameter', `The request must contain the parameter ${name}.`),
  invalidParameterValue: (message: string) => make('InvalidParameterValue', message),
  nullCollectionMember: (member: 'member' | 'value') => make('NullCollectionMember', `the parameter '${member}' may not be null`),
  requestEntityTooLarge: (limit: number) =>
    make('RequestEntityTooLarge', `Request body is larger than the limit of ${limit} bytes.`),
  missingAuthenticationToken: () => make('MissingAuthenticationToken', 'Request is missing Authentication Token'),
  incompleteSignature: (message: string) => make('IncompleteSignature', message),
  internalFailure: () => make('InternalFailure', 'We encountered an internal error. Please try again.'),
  notFound: () => make('NotFound', 'The requested resource was not found.'),
  notImplemented: (action: string) => make('NotImplemented', `sealq does not implement ${action} yet.`),
};
