import { protocolErrors } from '../protocol/protocol-errors.js';

/** What a SigV4-signed request says about its signer, before any verification. */
export interface SignedRequestClaims {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH_HEADER = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$/;

/**
 * Reads the credential scope of a SigV4 request, from the Authorization header or the presigned
 * query form. Every request must be signed; verifying the signature against known keys is the
 * identity layer's job.
 */
export function readSignature(authorization: string | undefined, query: URLSearchParams | null): SignedRequestClaims {
  if (authorization) {
    const m = AUTH_HEADER.exec(authorization.trim());
    if (!m) {
      if (!authorization.startsWith('AWS4-HMAC-SHA256')) {
        throw protocolErrors.incompleteSignature(
          `Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=${authorization.split(' ')[0]}`,
        );
      }
      throw protocolErrors.incompleteSignature('Authorization header is not a well-formed AWS Signature Version 4 header.');
    }
    return fromCredential(m[1], m[2], m[3]);
  }
  if (query?.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') {
    const credential = query.get('X-Amz-Credential');
    const signedHeaders = query.get('X-Amz-SignedHeaders');
    const signature = query.get('X-Amz-Signature');
    if (!credential || !signedHeaders || !signature) {
      throw protocolErrors.incompleteSignature('The presigned request is missing X-Amz-Credential, X-Amz-SignedHeaders or X-Amz-Signature.');
    }
    return fromCredential(credential, signedHeaders, signature);
  }
  throw protocolErrors.missingAuthenticationToken();
}

function fromCredential(credential: string, signedHeaders: string, signature: string): SignedRequestClaims {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1]) || !parts[0] || !parts[2] || !parts[3]) {
    throw protocolErrors.incompleteSignature(
      `Credential should be scoped to a valid region, and a correct service, and end with aws4_request. Credential=${credential}`,
    );
  }
  return {
    accessKeyId: parts[0],
    date: parts[1],
    region: parts[2],
    service: parts[3],
    signedHeaders: signedHeaders.split(';'),
    signature,
  };
}
