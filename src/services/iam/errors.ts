import { AwsError, type AwsErrorSpec } from '../../shared/aws-error.js';

/** IAM and STS errors: the Query code is also the shape name. */
const spec = (code: string, status: number, fault: 'Sender' | 'Receiver' = 'Sender'): AwsErrorSpec =>
  Object.freeze({ shape: code, queryCode: code, status, fault });

export const iamErrorSpecs = {
  NoSuchEntity: spec('NoSuchEntity', 404),
  EntityAlreadyExists: spec('EntityAlreadyExists', 409),
  DeleteConflict: spec('DeleteConflict', 409),
  LimitExceeded: spec('LimitExceeded', 409),
  MalformedPolicyDocument: spec('MalformedPolicyDocument', 400),
  InvalidInput: spec('InvalidInput', 400),
  ValidationError: spec('ValidationError', 400),
  AccessDenied: spec('AccessDenied', 403),
  NotImplemented: spec('NotImplemented', 501, 'Receiver'),
  ExpiredToken: spec('ExpiredTokenException', 400),
  PackedPolicyTooLarge: spec('PackedPolicyTooLarge', 400),
  RegionDisabled: spec('RegionDisabledException', 403),
} as const;

const make = (name: keyof typeof iamErrorSpecs) => (message: string) => new AwsError(iamErrorSpecs[name], message);

export const iamErrors = {
  noSuchEntity: make('NoSuchEntity'),
  entityAlreadyExists: make('EntityAlreadyExists'),
  deleteConflict: make('DeleteConflict'),
  limitExceeded: make('LimitExceeded'),
  malformedPolicyDocument: make('MalformedPolicyDocument'),
  invalidInput: make('InvalidInput'),
  validationError: make('ValidationError'),
  accessDenied: make('AccessDenied'),
  notImplemented: make('NotImplemented'),
};
