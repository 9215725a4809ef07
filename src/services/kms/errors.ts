import { AwsError, type AwsErrorSpec } from '../../shared/aws-error.js';

/** KMS errors over AWS JSON 1.1: `__type` is the bare name, most are 400 (KMS answers so). */
const spec = (name: string, status = 400, fault: 'Sender' | 'Receiver' = 'Sender'): AwsErrorSpec =>
  Object.freeze({ shape: name, queryCode: name, status, fault });

export const kmsErrorSpecs = {
  NotFoundException: spec('NotFoundException'),
  DisabledException: spec('DisabledException'),
  KMSInvalidStateException: spec('KMSInvalidStateException'),
  InvalidCiphertextException: spec('InvalidCiphertextException'),
  IncorrectKeyException: spec('IncorrectKeyException'),
  AccessDeniedException: spec('AccessDeniedException'),
  AlreadyExistsException: spec('AlreadyExistsException'),
  ValidationException: spec('ValidationException'),
  InvalidAliasNameException: spec('InvalidAliasNameException'),
  InvalidArnException: spec('InvalidArnException'),
  MalformedPolicyDocumentException: spec('MalformedPolicyDocumentException'),
  LimitExceededException: spec('LimitExceededException'),
  InvalidKeyUsageException: spec('InvalidKeyUsageException'),
  UnsupportedOperationException: spec('UnsupportedOperationException'),
  InvalidGrantIdException: spec('InvalidGrantIdException'),
  InvalidGrantTokenException: spec('InvalidGrantTokenException'),
  TagException: spec('TagException'),
  ThrottlingException: spec('ThrottlingException'),
  KMSInternalException: spec('KMSInternalException', 500, 'Receiver'),
} as const;

export type KmsErrorName = keyof typeof kmsErrorSpecs;

export const kmsError = (name: KmsErrorName, message: string): AwsError => new AwsError(kmsErrorSpecs[name], message);

export function isKmsError(error: unknown): error is AwsError {
  return error instanceof AwsError && Object.hasOwn(kmsErrorSpecs, error.spec.shape);
}
