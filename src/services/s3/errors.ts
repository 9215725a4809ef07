/** The S3 errors sealq answers with: code, HTTP status and AWS's message, defined once. */
import { AwsError, type AwsErrorSpec } from '../../shared/aws-error.js';

const spec = (code: string, status: number, fault: 'Sender' | 'Receiver' = 'Sender'): AwsErrorSpec =>
  Object.freeze({ shape: code, queryCode: code, status, fault });

export const s3ErrorSpecs = {
  AccessDenied: spec('AccessDenied', 403),
  BadDigest: spec('BadDigest', 400),
  BucketAlreadyExists: spec('BucketAlreadyExists', 409),
  BucketAlreadyOwnedByYou: spec('BucketAlreadyOwnedByYou', 409),
  BucketNotEmpty: spec('BucketNotEmpty', 409),
  EntityTooLarge: spec('EntityTooLarge', 400),
  EntityTooSmall: spec('EntityTooSmall', 400),
  IncompleteBody: spec('IncompleteBody', 400),
  InvalidArgument: spec('InvalidArgument', 400),
  InvalidBucketName: spec('InvalidBucketName', 400),
  InvalidPart: spec('InvalidPart', 400),
  InvalidPartOrder: spec('InvalidPartOrder', 400),
  InvalidRange: spec('InvalidRange', 416),
  InvalidRequest: spec('InvalidRequest', 400),
  KeyTooLongError: spec('KeyTooLongError', 400),
  MalformedXML: spec('MalformedXML', 400),
  MethodNotAllowed: spec('MethodNotAllowed', 405),
  MissingContentLength: spec('MissingContentLength', 411),
  NoSuchBucket: spec('NoSuchBucket', 404),
  NoSuchKey: spec('NoSuchKey', 404),
  NoSuchUpload: spec('NoSuchUpload', 404),
  NotImplemented: spec('NotImplemented', 501, 'Receiver'),
  PreconditionFailed: spec('PreconditionFailed', 412),
  InternalError: spec('InternalError', 500, 'Receiver'),
} as const;

export type S3ErrorCode = keyof typeof s3ErrorSpecs;

/** An S3 error with the extra elements S3 puts in its `<Error>` (BucketName, Key, ArgumentName…). */
export class S3Error extends AwsError {
  constructor(
    code: S3ErrorCode,
    message: string,
    readonly details: ReadonlyArray<readonly [string, string]> = [],
  ) {
    super(s3ErrorSpecs[code], message);
  }
}

/** AWS's wording for each. */
export const s3Errors = {
  accessDenied: (principalArn: string, action: string, resource: string) =>
    new S3Error('AccessDenied', `User: ${principalArn} is not authorized to perform: ${action} on resource: "${resource}" because no identity-based policy allows the ${action} action`),
  badDigest: (algorithm: string) => new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`),
  bucketAlreadyExists: (bucket: string) =>
    new S3Error(
      'BucketAlreadyExists',
      'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
      [['BucketName', bucket]],
    ),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', [['BucketName', bucket]]),
  bucketNotEmpty: (bucket: string) => new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', [['BucketName', bucket]]),
  entityTooLarge: (size: number, max: number) =>
    new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', [
      ['ProposedSize', String(size)],
      ['MaxSizeAllowed', String(max)],
    ]),
  entityTooSmall: (size: number, min: number) =>
    new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', [
      ['ProposedSize', String(size)],
      ['MinSizeAllowed', String(min)],
    ]),
  invalidPart: (partNumber: number, etag: string) =>
    new S3Error(
      'InvalidPart',
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      [
        ['PartNumber', String(partNumber)],
        ['ETag', etag],
      ],
    ),
  invalidPartOrder: () =>
    new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.'),
  noSuchUpload: (uploadId: string) =>
    new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', [
      ['UploadId', uploadId],
    ]),
  incompleteBody: () => new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.'),
  invalidArgument: (message: string, details: ReadonlyArray<readonly [string, string]> = []) => new S3Error('InvalidArgument', message, details),
  invalidBucketName: (bucket: string) => new S3Error('InvalidBucketName', 'The specified bucket is not valid.', [['BucketName', bucket]]),
  invalidRange: (requested: string, size: number) =>
    new S3Error('InvalidRange', 'The requested range is not satisfiable', [
      ['RangeRequested', requested],
      ['ActualObjectSize', String(size)],
    ]),
  invalidRequest: (message: string) => new S3Error('InvalidRequest', message),
  preconditionFailed: (condition: string) =>
    new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', [['Condition', condition]]),
  keyTooLong: () => new S3Error('KeyTooLongError', 'Your key is too long'),
  malformedXml: () => new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema'),
  methodNotAllowed: (method: string, resourceType: string) =>
    new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', [
      ['Method', method],
      ['ResourceType', resourceType],
    ]),
  missingContentLength: () => new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.'),
  noSuchBucket: (bucket: string) => new S3Error('NoSuchBucket', 'The specified bucket does not exist', [['BucketName', bucket]]),
  noSuchKey: (key: string) => new S3Error('NoSuchKey', 'The specified key does not exist.', [['Key', key]]),
  notImplemented: (what: string) => new S3Error('NotImplemented', `A header or query you provided implies functionality that is not implemented (sealq: ${what}).`),
  /**
   * AWS: a notification destination that refuses the s3:TestEvent fails the whole call; each
   * refused destination is named in ArgumentName<n>/ArgumentValue<n>.
   */
  unableToValidateDestinations: (refused: Array<{ arn: string; reason: string }>) =>
    new S3Error(
      'InvalidArgument',
      'Unable to validate the following destination configurations',
      refused.flatMap((r, i): Array<readonly [string, string]> => [
        [`ArgumentName${i + 1}`, r.arn],
        [`ArgumentValue${i + 1}`, r.reason],
      ]),
    ),
};
