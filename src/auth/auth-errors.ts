/** The errors SigV4 verification answers with, each tagged with the reason it was raised. */
import { protocolErrorSpecs } from '../protocol/protocol-errors.js';
import { AwsError, type AwsErrorSpec } from '../shared/aws-error.js';

const spec = (shape: string, queryCode: string, status: number): AwsErrorSpec =>
  Object.freeze({ shape, queryCode, status, fault: 'Sender' as const });

/**
 * `shape` is the name the AWS service framework uses over JSON (as protocol-errors.ts does for
 * MissingAuthenticationToken); `queryCode` is what Query clients and `x-amzn-query-error` carry.
 */
export const authErrorSpecs = {
  MissingAuthenticationToken: protocolErrorSpecs.MissingAuthenticationToken,
  IncompleteSignature: protocolErrorSpecs.IncompleteSignature,
  InvalidClientTokenId: spec('UnrecognizedClientException', 'InvalidClientTokenId', 403),
  SignatureDoesNotMatch: spec('InvalidSignatureException', 'SignatureDoesNotMatch', 403),
  ExpiredToken: spec('ExpiredTokenException', 'ExpiredToken', 403),
  RequestTimeTooSkewed: spec('RequestTimeTooSkewed', 'RequestTimeTooSkewed', 403),
  AccessDenied: spec('AccessDeniedException', 'AccessDenied', 403),
  AuthorizationQueryParametersError: spec('AuthorizationQueryParametersError', 'AuthorizationQueryParametersError', 400),
  XAmzContentSHA256Mismatch: spec('XAmzContentSHA256Mismatch', 'XAmzContentSHA256Mismatch', 400),
  InvalidRequest: spec('InvalidRequest', 'InvalidRequest', 400),
  InvalidArgument: spec('InvalidArgument', 'InvalidArgument', 400),
} as const;

export type AuthErrorCode = keyof typeof authErrorSpecs;

/** Why a request was refused, in words a log line or `sealq explain` can show. */
export type SignatureFailure =
  | 'missing-authentication'
  | 'malformed-authorization'
  | 'missing-date'
  | 'invalid-scope'
  | 'host-not-signed'
  | 'invalid-expires'
  | 'invalid-payload-hash'
  | 'request-time-skewed'
  | 'presign-expired'
  | 'unknown-access-key'
  | 'invalid-session-token'
  | 'expired-session-token'
  | 'signature-mismatch';

/** What the verifier computed, for logs: never part of the message a client sees. */
export interface SignatureDetail {
  canonicalRequest?: string;
  stringToSign?: string;
}

export class SignatureError extends AwsError {
  constructor(
    readonly authCode: AuthErrorCode,
    message: string,
    readonly reason: SignatureFailure,
    readonly detail: SignatureDetail = {},
  ) {
    super(authErrorSpecs[authCode], message);
  }
}

export function isSignatureError(error: unknown): error is SignatureError {
  return error instanceof SignatureError;
}

const fail = (code: AuthErrorCode, reason: SignatureFailure) => (message: string, detail?: SignatureDetail) =>
  new SignatureError(code, message, reason, detail);

/** Constructors with the messages AWS uses where it is known; see the `AWS:` notes in sigv4.ts. */
export const authErrors = {
  missingAuthenticationToken: () => fail('MissingAuthenticationToken', 'missing-authentication')('Request is missing Authentication Token'),
  incompleteSignature: (reason: SignatureFailure, message: string) => fail('IncompleteSignature', reason)(message),
  invalidClientTokenId: (reason: 'unknown-access-key' | 'invalid-session-token') =>
    fail('InvalidClientTokenId', reason)('The security token included in the request is invalid.'),
  expiredToken: () => fail('ExpiredToken', 'expired-session-token')('The security token included in the request is expired'),
  signatureDoesNotMatch: (detail?: SignatureDetail) =>
    fail('SignatureDoesNotMatch', 'signature-mismatch')(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      detail,
    ),
  scopeMismatch: (message: string) => fail('SignatureDoesNotMatch', 'invalid-scope')(message),
  signatureExpired: (message: string) => fail('SignatureDoesNotMatch', 'request-time-skewed')(message),
  requestTimeTooSkewed: () =>
    fail('RequestTimeTooSkewed', 'request-time-skewed')('The difference between the request time and the current time is too large.'),
  presignExpired: () => fail('AccessDenied', 'presign-expired')('Request has expired'),
  invalidExpires: (message: string) => fail('AuthorizationQueryParametersError', 'invalid-expires')(message),
  payloadHashMismatch: () =>
    fail('XAmzContentSHA256Mismatch', 'invalid-payload-hash')("The provided 'x-amz-content-sha256' header does not match what was computed."),
  // AWS: S3 wants the header on every header-signed request.
  payloadHashMissing: () => fail('InvalidRequest', 'invalid-payload-hash')('Missing required header for this request: x-amz-content-sha256'),
  payloadHashInvalid: (value: string) =>
    fail('InvalidArgument', 'invalid-payload-hash')(`x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value; sealq does not accept ${value.slice(0, 64)}`),
};
