import type { AwsError } from '../../shared/aws-error.js';

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

export interface EncodedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function encodeJsonResult(wire: unknown, contentType = JSON_CONTENT_TYPE): EncodedResponse {
  return { status: 200, headers: { 'content-type': contentType }, body: wire === undefined ? '{}' : JSON.stringify(wire) };
}

/**
 * AWS JSON errors: `__type` names the shape (namespaced), and for query-compatible services the
 * `x-amzn-query-error` header carries the Query code and fault, which SDKs read back.
 */
export function encodeJsonError(
  error: AwsError,
  namespace: string,
  options: { queryCompatible: boolean; contentType?: string; bareType?: boolean },
): EncodedResponse {
  const type = error.spec.shape.includes('#') || options.bareType ? error.spec.shape : `${namespace}#${error.spec.shape}`;
  const headers: Record<string, string> = { 'content-type': options.contentType ?? JSON_CONTENT_TYPE };
  const framework = error.spec.shape.startsWith('com.amazon.coral.');
  if (options.queryCompatible && !framework) headers['x-amzn-query-error'] = `${error.spec.queryCode};${error.spec.fault}`;
  const body: Record<string, string> = { __type: type };
  if (error.message) body.message = error.message;
  return { status: error.spec.status, headers, body: JSON.stringify(body) };
}
