/** AWS Signature Version 4 verification: a pure function of the request, the caller's keys and the time. */
import { timingSafeEqual } from 'node:crypto';
import { authErrors } from './auth-errors.js';
import {
  canonicalRequest,
  parseQuery,
  sha256Hex,
  stringToSign,
  type PathStyle,
  type RequestHeaders,
} from './canonical-request.js';
import { percentDecode } from './percent-encoding.js';
import { checkPresignedWindow, checkSkew, headerRequestTime, parseAmzDate, type RequestTime, type SkewError } from './request-time.js';
import {
  PRESIGNED,
  checkScope,
  parseAuthorizationHeader,
  parseCredential,
  parsePresignedParams,
  type SignatureParams,
} from './signature-params.js';
import { defaultSigningKeys, hmacHex, type SigningKeyCache } from './signing-key.js';

export type { PathStyle, RequestHeaders } from './canonical-request.js';
export type { SkewError } from './request-time.js';

/** A request as it arrived, before anything was decoded. */
export interface SignedHttpRequest {
  method: string;
  /** The raw path, e.g. `/123456789012/my%20queue` (node: `req.url` up to the `?`). */
  path: string;
  /** The raw query string without the `?` (node: `req.url` after the first `?`). */
  query: string;
  /** Lowercased names; node's `req.headersDistinct` keeps repeated headers apart. */
  headers: RequestHeaders;
  body: Uint8Array;
  /**
   * S3 only: the body is still on the wire and `body` is empty. The declared
   * `x-amz-content-sha256` enters the canonical request as sent, and whoever streams the body
   * must check it (a hex hash) or decode it (aws-chunked).
   */
  streamed?: boolean;
}

/** What the key store knows about an access key. */
export interface SigningCredential {
  secretAccessKey: string;
  /** Present for temporary (STS) credentials; the request must then carry the same token. */
  sessionToken?: string;
  /** Epoch ms after which temporary credentials are refused. */
  expiresAt?: number;
}

export interface VerifyOptions {
  /** Epoch ms. */
  now: number;
  /** The service this endpoint serves; when set, the credential scope must name it. */
  service?: string;
  /** When set, the credential scope must name this region. */
  region?: string;
  /** Default 15 minutes. */
  maxSkewMs?: number;
  /** Default: `s3` for the s3 service, `normalised` for all others. */
  pathStyle?: PathStyle;
  /** Which error a skewed clock gets; default SignatureDoesNotMatch, as Query services answer. */
  skewError?: SkewError;
  signingKeys?: SigningKeyCache;
}

/** A signature read and checked for form and time, not yet checked against a key. */
export interface SignedRequest {
  form: 'header' | 'presigned';
  accessKeyId: string;
  /** The scope's `YYYYMMDD`. */
  date: string;
  region: string;
  service: string;
  /** Epoch ms the request says it was signed at. */
  requestTime: number;
  signedHeaders: readonly string[];
  signature: string;
  sessionToken: string | undefined;
  canonicalRequest: string;
  stringToSign: string;
}

export interface VerifiedSignature<C extends SigningCredential = SigningCredential> {
  form: 'header' | 'presigned';
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  requestTime: number;
  signedHeaders: readonly string[];
  /** What the lookup returned for the access key, so callers need not look it up again. */
  credential: C;
}

const FIFTEEN_MINUTES = 15 * 60_000;
const MAX_EXPIRES_SECONDS = 604_800;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/**
 * Verifies a SigV4-signed request (Authorization header or presigned query string) and returns who
 * signed it. Throws a SignatureError carrying the AWS error code and the reason otherwise.
 */
export function verifySignature<C extends SigningCredential>(
  request: SignedHttpRequest,
  lookup: (accessKeyId: string) => C | undefined,
  options: VerifyOptions,
): VerifiedSignature<C> {
  const signed = readSignedRequest(request, options);
  return verifySignedRequest(signed, lookup(signed.accessKeyId), options);
}

/**
 * The first half of `verifySignature`, for callers whose key store is asynchronous: everything that
 * needs no secret (form, scope, time, payload hash) is checked here.
 */
export function readSignedRequest(request: SignedHttpRequest, options: VerifyOptions): SignedRequest {
  const maxSkewMs = options.maxSkewMs ?? FIFTEEN_MINUTES;
  const skewError = options.skewError ?? 'SignatureDoesNotMatch';
  const query = parseQuery(request.query);
  const param = (name: string): string | undefined => {
    const found = query.find((p) => p.key === name);
    return found && percentDecode(found.value).toString('utf8');
  };
  const authorization = single(request.headers.authorization);
  const presigned = param(PRESIGNED.algorithm) !== undefined;
  if (authorization === undefined && !presigned) throw authErrors.missingAuthenticationToken();
  if (authorization !== undefined && presigned) {
    throw authErrors.incompleteSignature(
      'malformed-authorization',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
    );
  }

  let params: SignatureParams;
  let time: RequestTime;
  let sessionToken: string | undefined;
  if (authorization !== undefined) {
    const headerTime = headerRequestTime(single(request.headers['x-amz-date']), single(request.headers.date));
    params = parseAuthorizationHeader(authorization, headerTime !== undefined);
    time = headerTime as RequestTime;
    sessionToken = single(request.headers['x-amz-security-token']);
  } else {
    const read = parsePresignedParams(param);
    const ms = parseAmzDate(read.amzDate);
    if (ms === undefined) {
      throw authErrors.incompleteSignature('missing-date', `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
    }
    params = read;
    time = { amzDate: read.amzDate, ms };
    sessionToken = param(PRESIGNED.securityToken) ?? single(request.headers['x-amz-security-token']);
  }

  const scope = parseCredential(params.credential);
  checkScope(scope, time.amzDate, options);
  if (!params.signedHeaders.includes('host')) {
    throw authErrors.incompleteSignature('host-not-signed', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const isS3 = scope.service === 's3';
  if (presigned) {
    const expires = readExpires(param(PRESIGNED.expires));
    // AWS: without X-Amz-Expires the request gets the same window as the header form.
    if (expires === undefined) checkSkew(time, options.now, maxSkewMs, skewError);
    else checkPresignedWindow(time, expires, options.now, maxSkewMs, skewError);
  } else {
    checkSkew(time, options.now, maxSkewMs, skewError);
  }

  const declaredHash = single(request.headers['x-amz-content-sha256']) ?? (presigned ? param(PRESIGNED.contentSha256) : undefined);
  // AWS: S3 presigned URLs sign UNSIGNED-PAYLOAD unless they say otherwise.
  const payloadHash =
    request.streamed && isS3
      ? streamedPayloadHash(declaredHash ?? (presigned ? UNSIGNED_PAYLOAD : undefined))
      : payloadHashFor(request.body, declaredHash ?? (presigned && isS3 ? UNSIGNED_PAYLOAD : undefined), isS3);
  const canonical = canonicalRequest({
    method: request.method,
    path: request.path,
    query,
    headers: request.headers,
    signedHeaders: params.signedHeaders,
    payloadHash,
    pathStyle: options.pathStyle ?? (isS3 ? 's3' : 'normalised'),
    excludeSignatureParam: presigned,
  });
  return {
    form: presigned ? 'presigned' : 'header',
    accessKeyId: scope.accessKeyId,
    date: scope.date,
    region: scope.region,
    service: scope.service,
    requestTime: time.ms,
    signedHeaders: params.signedHeaders,
    signature: params.signature,
    sessionToken,
    canonicalRequest: canonical,
    stringToSign: stringToSign(time.amzDate, `${scope.date}/${scope.region}/${scope.service}/aws4_request`, canonical),
  };
}

/** The second half of `verifySignature`: the key, the session token, then the signature itself. */
export function verifySignedRequest<C extends SigningCredential>(
  signed: SignedRequest,
  credential: C | undefined,
  options: VerifyOptions,
): VerifiedSignature<C> {
  if (!credential) throw authErrors.invalidClientTokenId('unknown-access-key');
  // AWS: a missing, extra or different session token all read as an invalid security token.
  if (credential.sessionToken === undefined ? signed.sessionToken !== undefined : !sameText(signed.sessionToken, credential.sessionToken)) {
    throw authErrors.invalidClientTokenId('invalid-session-token');
  }
  if (credential.expiresAt !== undefined && options.now >= credential.expiresAt) throw authErrors.expiredToken();
  const key = (options.signingKeys ?? defaultSigningKeys).get(credential.secretAccessKey, signed.date, signed.region, signed.service);
  if (!sameText(signed.signature, hmacHex(key, signed.stringToSign))) {
    throw authErrors.signatureDoesNotMatch({ canonicalRequest: signed.canonicalRequest, stringToSign: signed.stringToSign });
  }
  return {
    form: signed.form,
    accessKeyId: signed.accessKeyId,
    date: signed.date,
    region: signed.region,
    service: signed.service,
    requestTime: signed.requestTime,
    signedHeaders: signed.signedHeaders,
    credential,
  };
}

function readExpires(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (/^-\d+$/.test(raw)) throw authErrors.invalidExpires('X-Amz-Expires must be non-negative');
  if (!/^\d+$/.test(raw)) throw authErrors.invalidExpires('X-Amz-Expires should be a number');
  const seconds = Number(raw);
  if (seconds > MAX_EXPIRES_SECONDS) {
    throw authErrors.invalidExpires(`X-Amz-Expires must be less than a week (in seconds) that is; ${MAX_EXPIRES_SECONDS}`);
  }
  return seconds;
}

/**
 * The payload hash the signer must have used. UNSIGNED-PAYLOAD is taken at its word. S3 refuses a
 * declared hash that is not the body's (AWS: XAmzContentSHA256Mismatch); elsewhere the body's own
 * hash is used, so a changed body reads as a signature mismatch.
 */
function payloadHashFor(body: Uint8Array, declared: string | undefined, isS3: boolean): string {
  if (declared === UNSIGNED_PAYLOAD) return declared;
  const actual = sha256Hex(body);
  // Streaming (chunk-signed) S3 payloads are not supported, so their seed cannot be trusted either.
  if (isS3 && declared !== undefined && declared !== actual) throw authErrors.payloadHashMismatch();
  return actual;
}

/**
 * The payload hash of a body that is still streaming: a hex SHA-256 (checked by the streamer),
 * UNSIGNED-PAYLOAD, or STREAMING-UNSIGNED-PAYLOAD-TRAILER (aws-chunked with a trailing checksum,
 * what SDK v3 sends for streams over http). Chunk-signed payloads are not supported.
 */
function streamedPayloadHash(declared: string | undefined): string {
  if (declared === undefined) throw authErrors.payloadHashMissing();
  if (declared === UNSIGNED_PAYLOAD || declared === STREAMING_UNSIGNED_TRAILER || /^[0-9a-f]{64}$/.test(declared)) return declared;
  throw authErrors.payloadHashInvalid(declared);
}

/** Constant-time comparison; lengths are public (a signature is always 64 hex digits). */
function sameText(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

const single = (value: string | readonly string[] | undefined): string | undefined =>
  value === undefined || typeof value === 'string' ? value : value[0];
