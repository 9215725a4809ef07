import { AwsError, type AwsErrorSpec } from '../../shared/aws-error.js';

/**
 * Every error SQS answers with, defined once. `shape` is the modelled name the JSON protocol puts in
 * `__type`; `queryCode` is what the Query protocol and the `x-amzn-query-error` header carry.
 * Statuses follow the SQS service model (see docs/compatibility.md).
 */
const spec = (shape: string, queryCode: string, status = 400, fault: 'Sender' | 'Receiver' = 'Sender'): AwsErrorSpec =>
  Object.freeze({ shape, queryCode, status, fault });

export const sqsErrorSpecs = {
  BatchEntryIdsNotDistinct: spec('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'),
  BatchRequestTooLong: spec('BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong'),
  EmptyBatchRequest: spec('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest'),
  InvalidAddress: spec('InvalidAddress', 'InvalidAddress', 404),
  InvalidAttributeName: spec('InvalidAttributeName', 'InvalidAttributeName'),
  InvalidAttributeValue: spec('InvalidAttributeValue', 'InvalidAttributeValue'),
  InvalidBatchEntryId: spec('InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId'),
  InvalidMessageContents: spec('InvalidMessageContents', 'InvalidMessageContents'),
  InvalidSecurity: spec('InvalidSecurity', 'InvalidSecurity', 403),
  MessageNotInflight: spec('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight'),
  OverLimit: spec('OverLimit', 'OverLimit', 403),
  PurgeQueueInProgress: spec('PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', 403),
  QueueDeletedRecently: spec('QueueDeletedRecently', 'AWS.SimpleQueueService.QueueDeletedRecently'),
  QueueDoesNotExist: spec('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'),
  QueueNameExists: spec('QueueNameExists', 'QueueAlreadyExists'),
  ReceiptHandleIsInvalid: spec('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 404),
  RequestThrottled: spec('RequestThrottled', 'RequestThrottled', 403),
  ResourceNotFoundException: spec('ResourceNotFoundException', 'ResourceNotFoundException', 404),
  TooManyEntriesInBatchRequest: spec('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'),
  UnsupportedOperation: spec('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation'),
  // AWS: KMS failures reach SQS clients under SQS's own names, all 400 but OptInRequired.
  KmsAccessDenied: spec('KmsAccessDenied', 'KMS.AccessDeniedException'),
  KmsDisabled: spec('KmsDisabled', 'KMS.DisabledException'),
  KmsInvalidKeyUsage: spec('KmsInvalidKeyUsage', 'KMS.InvalidKeyUsageException'),
  KmsInvalidState: spec('KmsInvalidState', 'KMS.InvalidStateException'),
  KmsNotFound: spec('KmsNotFound', 'KMS.NotFoundException'),
  KmsOptInRequired: spec('KmsOptInRequired', 'KMS.OptInRequired', 403),
  KmsThrottled: spec('KmsThrottled', 'KMS.ThrottlingException'),
  // Not modelled as shapes, but answered by SQS in both protocols.
  // AWS: over JSON these two carry different names in __type than in x-amzn-query-error.
  InvalidParameterValue: spec('InvalidParameterValueException', 'InvalidParameterValue'),
  MissingParameter: spec('MissingRequiredParameterException', 'MissingParameter'),
  InvalidParameterCombination: spec('InvalidParameterCombination', 'InvalidParameterCombination'),
  InvalidAction: spec('InvalidAction', 'InvalidAction'),
  AccessDenied: spec('AccessDenied', 'AccessDenied', 403),
  MissingAuthenticationToken: spec('MissingAuthenticationToken', 'MissingAuthenticationToken', 403),
  IncompleteSignature: spec('IncompleteSignature', 'IncompleteSignature', 400),
  MalformedQueryString: spec('MalformedQueryString', 'MalformedQueryString', 400),
  RequestEntityTooLarge: spec('RequestEntityTooLarge', 'RequestEntityTooLarge', 413),
  InternalFailure: spec('InternalFailure', 'InternalFailure', 500, 'Receiver'),
  ServiceUnavailable: spec('ServiceUnavailable', 'ServiceUnavailable', 503, 'Receiver'),
} as const;

export type SqsErrorName = keyof typeof sqsErrorSpecs;

const make = (name: SqsErrorName) => (message: string, queryMessage?: string) =>
  new AwsError(sqsErrorSpecs[name], message, queryMessage);

/** Constructors with the messages SQS uses. */
export const sqsErrors = {
  queueDoesNotExist: () =>
    make('QueueDoesNotExist')(
      'The specified queue does not exist.',
      'The specified queue does not exist for this wsdl version.',
    ),
  queueNameExists: (name: string) =>
    make('QueueNameExists')(`A queue already exists with the same name and a different value for attribute ${name}`),
  queueDeletedRecently: () =>
    make('QueueDeletedRecently')(
      'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
    ),
  invalidParameterValue: (message: string) => make('InvalidParameterValue')(message),
  invalidValue: (value: unknown, parameter: string, reason: string) =>
    make('InvalidParameterValue')(`Value ${String(value)} for parameter ${parameter} is invalid. Reason: ${reason}`),
  missingParameter: (parameter: string) =>
    make('MissingParameter')(`The request must contain the parameter ${parameter}.`),
  invalidAttributeName: (name: string) => make('InvalidAttributeName')(`Unknown Attribute ${name}.`),
  conflictingAttributes: (message: string) => make('InvalidAttributeName')(message),
  invalidAttributeValue: (name: string, reason?: string) =>
    make('InvalidAttributeValue')(`Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ''}`),
  receiptHandleIsInvalid: (handle: string) =>
    make('ReceiptHandleIsInvalid')(`The input receipt handle "${handle}" is not a valid receipt handle.`),
  receiptHandleExpired: (handle: string) =>
    make('InvalidParameterValue')(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`),
  notAvailableForVisibilityChange: (handle: string) =>
    make('InvalidParameterValue')(
      `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    ),
  purgeQueueInProgress: (queueName: string) =>
    make('PurgeQueueInProgress')(`Only one PurgeQueue operation on ${queueName} is allowed every 60 seconds.`),
  emptyBatchRequest: (entryName: string) =>
    make('EmptyBatchRequest')(`There should be at least one ${entryName} in the request.`),
  tooManyEntriesInBatchRequest: (count: number) =>
    make('TooManyEntriesInBatchRequest')(`Maximum number of entries per request are 10. You have sent ${count}.`),
  batchEntryIdsNotDistinct: (id: string) => make('BatchEntryIdsNotDistinct')(`Id ${id} repeated.`),
  invalidBatchEntryId: () =>
    make('InvalidBatchEntryId')(
      'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
    ),
  batchRequestTooLong: (size: number, limit: number) =>
    make('BatchRequestTooLong')(`Batch requests cannot be longer than ${limit} bytes. You have sent ${size} bytes.`),
  invalidMessageContents: (message: string) => make('InvalidMessageContents')(message),
  overLimit: (message: string) => make('OverLimit')(message),
  resourceNotFound: (message: string) => make('ResourceNotFoundException')(message),
  unsupportedOperation: (message: string) => make('UnsupportedOperation')(message),
  invalidAction: (action: string) => make('InvalidAction')(`The action ${action} is not valid for this web service.`),
  invalidAddress: (url: string) => make('InvalidAddress')(`The address ${url} is not valid for this endpoint.`),
  accessDenied: (message: string, trace: string[] = []) => {
    const error = make('AccessDenied')(message);
    error.trace = trace;
    return error;
  },
  missingAuthenticationToken: () =>
    make('MissingAuthenticationToken')('Request is missing Authentication Token'),
  incompleteSignature: (message: string) => make('IncompleteSignature')(message),
  malformedQueryString: (message: string) => make('MalformedQueryString')(message),
  requestEntityTooLarge: (limit: number) =>
    make('RequestEntityTooLarge')(`Request body is larger than the limit of ${limit} bytes.`),
  internalFailure: () => make('InternalFailure')('We encountered an internal error. Please try again.'),
  kms: (name: 'KmsAccessDenied' | 'KmsDisabled' | 'KmsInvalidKeyUsage' | 'KmsInvalidState' | 'KmsNotFound' | 'KmsOptInRequired' | 'KmsThrottled', message: string) =>
    make(name)(message),
  serviceUnavailable: () => make('ServiceUnavailable')('The service is shutting down; please retry.'),
};
