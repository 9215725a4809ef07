/** Reads who a SigV4 request claims to be, without verifying it (see sigv4.ts for verification). */
import { authErrors } from './auth-errors.js';
import { PRESIGNED, parseAuthorizationHeader, parseCredential, parsePresignedParams, type SignatureParams } from './signature-params.js';

/** What a SigV4-signed request says about its signer, before any verification. */
export interface SignedRequestClaims {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * Reads the credential scope of a SigV4 request, from the Authorization header or the presigned
 * query form (`query` decoded). Every request must be signed; `verifySignature` checks it.
 */
export function readSignature(authorization: string | undefined, query: URLSearchParams | null): SignedRequestClaims {
  let params: SignatureParams;
  if (authorization) {
    params = parseAuthorizationHeader(authorization, true);
  } else if (query?.has(PRESIGNED.algorithm)) {
    params = parsePresignedParams((name) => query.get(name) ?? undefined);
  } else {
    throw authErrors.missingAuthenticationToken();
  }
  const { accessKeyId, date, region, service } = parseCredential(params.credential);
  return { accessKeyId, date, region, service, signedHeaders: params.signedHeaders, signature: params.signature };
}
