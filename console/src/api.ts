/**
 * The console's only way to the server: signed requests to the same endpoints any SDK calls
 * (SQS over AWS JSON 1.0, KMS over JSON 1.1, STS and IAM over Query) and sealq's signed
 * /_sealq/* endpoints. The server authorizes each as the signed-in principal.
 */
import { sha256Hex, signRequest, type Credentials } from './sigv4.js';

export interface Session extends Credentials {
  region: string;
  /** The caller's ARN, from GetCallerIdentity at sign-in. */
  arn: string;
  account: string;
}

/** An AWS error as the server returned it. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const KEY = 'sealq-console-session';

/** Keys live in sessionStorage only: gone when the tab closes, never sent anywhere but signed requests. */
export const sessionStore = {
  load(): Session | undefined {
    const text = sessionStorage.getItem(KEY);
    return text ? (JSON.parse(text) as Session) : undefined;
  },
  save(session: Session): void {
    sessionStorage.setItem(KEY, JSON.stringify(session));
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};

interface Call {
  /** POST unless said otherwise. */
  method?: string;
  path: string;
  /** The raw query string, without `?`. */
  query?: string;
  /** Extra headers to sign and send. */
  headers?: Array<[string, string]>;
  service: string;
  contentType: string;
  target?: string;
  body: string;
}

async function send(credentials: Credentials & { region: string }, call: Call): Promise<{ status: number; text: string; headers: Headers }> {
  const headers: Array<[string, string]> = [
    ['Host', location.host],
    ['Content-Type', call.contentType],
  ];
  if (call.target) headers.push(['X-Amz-Target', call.target]);
  headers.push(...(call.headers ?? []));
  const method = call.method ?? 'POST';
  const signed = await signRequest({
    method,
    path: call.path,
    query: call.query ?? '',
    headers,
    body: call.body,
    credentials,
    region: credentials.region,
    service: call.service,
  });
  // The browser sets Host itself (it may not be set by a script); it is the value signed above.
  const sent = signed.headers.filter(([name]) => name.toLowerCase() !== 'host');
  const url = call.query ? `${call.path}?${call.query}` : call.path;
  const response = await fetch(url, { method, headers: sent, body: method === 'GET' ? undefined : call.body, credentials: 'omit', cache: 'no-store' });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function jsonError(status: number, text: string): ApiError {
  try {
    const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
    const code = (parsed.__type ?? 'Error').split('#').pop()!;
    return new ApiError(code, parsed.message ?? parsed.Message ?? text, status);
  } catch {
    return new ApiError('Error', text || `HTTP ${status}`, status);
  }
}

function xmlError(status: number, text: string): ApiError {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const code = doc.getElementsByTagName('Code')[0]?.textContent;
  const message = doc.getElementsByTagName('Message')[0]?.textContent;
  if (code) return new ApiError(code, message ?? '', status);
  return jsonError(status, text);
}

/** One SQS action over AWS JSON 1.0. */
export async function sqs<T = Record<string, unknown>>(session: Session, action: string, input: Record<string, unknown> = {}): Promise<T> {
  const r = await send(session, {
    path: '/',
    service: 'sqs',
    contentType: 'application/x-amz-json-1.0',
    target: `AmazonSQS.${action}`,
    body: JSON.stringify(input),
  });
  if (r.status !== 200) throw jsonError(r.status, r.text);
  return (r.text ? JSON.parse(r.text) : {}) as T;
}

/** One KMS action over AWS JSON 1.1. */
export async function kms<T = Record<string, unknown>>(session: Session, action: string, input: Record<string, unknown> = {}): Promise<T> {
  const r = await send(session, {
    path: '/',
    service: 'kms',
    contentType: 'application/x-amz-json-1.1',
    target: `TrentService.${action}`,
    body: JSON.stringify(input),
  });
  if (r.status !== 200) throw jsonError(r.status, r.text);
  return (r.text ? JSON.parse(r.text) : {}) as T;
}

const QUERY_VERSIONS = { sts: '2011-06-15', iam: '2010-05-08', sns: '2010-03-31' } as const;

/** One EventBridge action over AWS JSON 1.1. */
export async function events<T = Record<string, unknown>>(session: Session, action: string, input: Record<string, unknown> = {}): Promise<T> {
  const r = await send(session, {
    path: '/',
    service: 'events',
    contentType: 'application/x-amz-json-1.1',
    target: `AWSEvents.${action}`,
    body: JSON.stringify(input),
  });
  if (r.status !== 200) throw jsonError(r.status, r.text);
  return (r.text ? JSON.parse(r.text) : {}) as T;
}

/** One S3 GET (path-style, signed for 's3' with the empty body's hash); the XML answer as a document. */
export async function s3Get(session: Session, path: string, rawQuery = ''): Promise<Document> {
  const r = await send(session, {
    method: 'GET',
    path,
    query: rawQuery,
    service: 's3',
    contentType: 'application/xml',
    headers: [['x-amz-content-sha256', await sha256Hex('')]],
    body: '',
  });
  if (r.status !== 200) throw xmlError(r.status, r.text);
  return new DOMParser().parseFromString(r.text, 'application/xml');
}

/** One STS, IAM or SNS action over AWS Query; the XML answer as a document. */
export async function query(
  credentials: Credentials & { region: string },
  service: keyof typeof QUERY_VERSIONS,
  action: string,
  params: Record<string, string> = {},
): Promise<Document> {
  const version = QUERY_VERSIONS[service];
  const body = new URLSearchParams({ Action: action, Version: version, ...params }).toString();
  const r = await send(credentials, { path: '/', service, contentType: 'application/x-www-form-urlencoded; charset=utf-8', body });
  if (r.status !== 200) throw xmlError(r.status, r.text);
  return new DOMParser().parseFromString(r.text, 'application/xml');
}

/** One of sealq's own signed endpoints (/_sealq/peek, /_sealq/explain, /_sealq/kms-usage). */
export async function admin<T>(session: Session, path: string, input: unknown): Promise<T> {
  const r = await send(session, { path, service: 'sqs', contentType: 'application/json', body: JSON.stringify(input) });
  if (r.status !== 200) throw r.text.trimStart().startsWith('<') ? xmlError(r.status, r.text) : jsonError(r.status, r.text);
  return JSON.parse(r.text) as T;
}

/** Signs in: GetCallerIdentity with the typed key pair; a wrong secret fails as the server says. */
export async function signIn(credentials: Credentials & { region: string }): Promise<Session> {
  const doc = await query(credentials, 'sts', 'GetCallerIdentity');
  const text = (name: string) => doc.getElementsByTagName(name)[0]?.textContent ?? '';
  return { ...credentials, arn: text('Arn'), account: text('Account') };
}
