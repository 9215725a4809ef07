/** Reads the signature's parts from an Authorization header or a presigned query string. */
import { authErrors } from './auth-errors.js';
import { ALGORITHM } from './canonical-request.js';

export interface CredentialScope {
  accessKeyId: string;
  /** `YYYYMMDD`. */
  date: string;
  region: string;
  service: string;
  terminator: string;
}

export interface SignatureParams {
  credential: string;
  signedHeaders: string[];
  signature: string;
}

const USUAL_HEADER = /^AWS4-HMAC-SHA256 Credential=([^\s,=]+), ?SignedHeaders=([^\s,=]+), ?Signature=([^\s,=]+)$/;

/**
 * Splits `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. `hasDate` says whether
 * the request carries a usable X-Amz-Date or Date header, since AWS reports both problems at once.
 */
export function parseAuthorizationHeader(header: string, hasDate: boolean): SignatureParams {
  // What every SDK sends, read with one match; anything else takes the general path below.
  const usual = hasDate ? USUAL_HEADER.exec(header) : null;
  if (usual) return { credential: usual[1], signedHeaders: usual[2].split(';'), signature: usual[3] };
  const space = header.search(/\s/);
  const algorithm = space < 0 ? header : header.slice(0, space);
  const fields = new Map<string, string>();
  for (const part of (space < 0 ? '' : header.slice(space + 1)).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!fields.has(name)) fields.set(name, part.slice(eq + 1).trim());
  }
  const problems = ['Credential', 'Signature', 'SignedHeaders']
    .filter((name) => !fields.get(name))
    .map((name) => `Authorization header requires '${name}' parameter.`);
  if (!hasDate) problems.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (problems.length > 0) {
    // AWS: one message lists every missing part, then echoes the header.
    throw authErrors.incompleteSignature(hasDate ? 'malformed-authorization' : 'missing-date', `${problems.join(' ')} Authorization=${header}`);
  }
  if (algorithm !== ALGORITHM) {
    throw authErrors.incompleteSignature('malformed-authorization', `Unsupported AWS 'algorithm': '${algorithm}'.`);
  }
  return {
    credential: fields.get('Credential') as string,
    signedHeaders: (fields.get('SignedHeaders') as string).split(';'),
    signature: fields.get('Signature') as string,
  };
}

export const PRESIGNED = {
  algorithm: 'X-Amz-Algorithm',
  credential: 'X-Amz-Credential',
  date: 'X-Amz-Date',
  expires: 'X-Amz-Expires',
  signedHeaders: 'X-Amz-SignedHeaders',
  signature: 'X-Amz-Signature',
  securityToken: 'X-Amz-Security-Token',
  contentSha256: 'X-Amz-Content-Sha256',
} as const;

/** The presigned form's parts, read through `param` (decoded values). */
export function parsePresignedParams(param: (name: string) => string | undefined): SignatureParams & { amzDate: string } {
  const algorithm = param(PRESIGNED.algorithm);
  if (algorithm !== ALGORITHM) {
    throw authErrors.incompleteSignature('malformed-authorization', `X-Amz-Algorithm only supports '${ALGORITHM}'.`);
  }
  const required = [PRESIGNED.credential, PRESIGNED.signature, PRESIGNED.signedHeaders, PRESIGNED.date];
  for (const name of required) {
    if (!param(name)) {
      throw authErrors.incompleteSignature(
        name === PRESIGNED.date ? 'missing-date' : 'malformed-authorization',
        `AWS query-string parameters must include '${name}'. Re-examine the query-string parameters.`,
      );
    }
  }
  return {
    credential: param(PRESIGNED.credential) as string,
    signedHeaders: (param(PRESIGNED.signedHeaders) as string).split(';'),
    signature: param(PRESIGNED.signature) as string,
    amzDate: param(PRESIGNED.date) as string,
  };
}

/** `AKID/YYYYMMDD/region/service/aws4_request`, checked for shape only. */
export function parseCredential(credential: string): CredentialScope {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '') || !/^\d{8}$/.test(parts[1])) {
    throw authErrors.incompleteSignature(
      'invalid-scope',
      `Credential should be scoped to a valid region, and a correct service, and end with aws4_request. Credential=${credential}`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts;
  return { accessKeyId, date, region, service, terminator };
}

/** The scope's content checks, which AWS answers with SignatureDoesNotMatch. */
export function checkScope(scope: CredentialScope, amzDate: string, expect: { service?: string; region?: string }): void {
  if (scope.terminator !== 'aws4_request') {
    throw authErrors.scopeMismatch(`Credential should be scoped with a valid terminator: 'aws4_request', not '${scope.terminator}'. `);
  }
  if (expect.service !== undefined && scope.service !== expect.service) {
    throw authErrors.scopeMismatch(`Credential should be scoped to correct service: '${expect.service}'. `);
  }
  if (expect.region !== undefined && scope.region !== expect.region) {
    throw authErrors.scopeMismatch(`Credential should be scoped to a valid region, not '${scope.region}'. `);
  }
  if (scope.date !== amzDate.slice(0, 8)) {
    throw authErrors.scopeMismatch(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  }
}
