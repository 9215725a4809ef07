import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { readSignature } from '../auth/credential-scope.js';
import type { Config } from '../config/config.js';
import type { EncodedResponse } from '../protocol/aws-json/encode.js';
import { parseForm } from '../protocol/aws-query/decode.js';
import { protocolErrors } from '../protocol/protocol-errors.js';
import {
  decodeJsonCall,
  decodeQueryCall,
  encodeError,
  encodeResult,
  invoke,
  type SqsCall,
  type WireProtocol,
} from '../protocol/sqs/sqs-endpoint.js';
import type { SqsService } from '../services/sqs/sqs-service.js';
import type { RequestContext } from '../services/sqs/types.js';
import { AwsError, isAwsError } from '../shared/aws-error.js';
import { newUuid } from '../shared/ids.js';

export interface HttpDependencies {
  config: Config;
  sqs: SqsService;
  logger: Logger;
  /** Wipes all state (POST /_sealq/reset, only with allowReset). */
  reset: () => Promise<void>;
  version: string;
}

/** A fully read request: what the pipeline needs, independent of node:http. */
export interface RawRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  secure: boolean;
}

/**
 * One request's journey, top to bottom: pick the protocol → read the signature's scope →
 * decode → run the operation → encode. Every failure leaves as an AWS error in the caller's
 * protocol; anything unexpected becomes InternalFailure, logged once with its cause.
 */
export async function handleSqsRequest(deps: HttpDependencies, request: RawRequest, requestId: string): Promise<EncodedResponse> {
  const target = header(request.headers['x-amz-target']);
  const protocol: WireProtocol = target ? 'json' : 'query';
  try {
    const query = parseForm(request.query);
    const call = decodeCall(request, target, query);
    const claims = readSignature(header(request.headers.authorization), query);
    const host = header(request.headers.host) ?? `${deps.config.host}:${deps.config.port}`;
    const ctx: RequestContext = {
      requestId,
      accountId: deps.config.accountId,
      region: claims.region,
      baseUrl: `${request.secure ? 'https' : 'http'}://${host}`,
      senderId: deps.config.accountId,
    };
    const wire = await invoke(deps.sqs, ctx, call);
    return encodeResult(call, wire, requestId);
  } catch (error) {
    return encodeError(protocol, asAwsError(error, deps.logger, requestId), requestId);
  }
}

function decodeCall(request: RawRequest, target: string | undefined, query: URLSearchParams): SqsCall {
  if (target) {
    if (request.method !== 'POST') throw protocolErrors.unknownOperation(target);
    return decodeJsonCall(target, request.body);
  }
  const params = new URLSearchParams(query);
  if (request.method === 'POST' && request.body.length > 0) {
    for (const [k, v] of parseForm(request.body.toString('utf8'))) params.append(k, v);
  }
  const segments = request.path.split('/').filter((s) => s !== '');
  const host = header(request.headers.host) ?? 'localhost';
  const queueUrl =
    segments.length === 2 ? `${request.secure ? 'https' : 'http'}://${host}/${segments[0]}/${segments[1]}` : undefined;
  return decodeQueryCall(params, queueUrl);
}

function asAwsError(error: unknown, logger: Logger, requestId: string): AwsError {
  if (isAwsError(error)) return error;
  logger.error({ err: error, requestId }, 'internal failure');
  return protocolErrors.internalFailure();
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The node:http front: request ids, body limits, the admin routes, then the SQS pipeline. */
export function createHttpFront(deps: HttpDependencies): Server {
  const limit = deps.config.maxRequestBytes;
  return createHttpServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const requestId = newUuid();
    const [path, query = ''] = (req.url ?? '/').split('?', 2);
    if (req.method === 'GET' && path === '/health') {
      return send(res, requestId, {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'ok', version: deps.version, storage: 'sqlite' }),
      });
    }
    if (path === '/_sealq/reset' && deps.config.allowReset) {
      if (req.method !== 'POST') return send(res, requestId, plain(405, 'use POST'));
      req.resume();
      deps.reset().then(
        () => send(res, requestId, { status: 200, headers: { 'content-type': 'application/json' }, body: '{"reset":true}' }),
        (error: unknown) => {
          deps.logger.error({ err: error }, 'reset failed');
          send(res, requestId, plain(500, 'reset failed'));
        },
      );
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    const protocol: WireProtocol = req.headers['x-amz-target'] ? 'json' : 'query';
    if (declared > limit) {
      req.resume();
      return send(res, requestId, encodeError(protocol, protocolErrors.requestEntityTooLarge(limit), requestId), true);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        return send(res, requestId, encodeError(protocol, protocolErrors.requestEntityTooLarge(limit), requestId), true);
      }
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const request: RawRequest = {
        method: req.method ?? 'GET',
        path,
        query,
        headers: req.headers,
        body,
        secure: false,
      };
      handleSqsRequest(deps, request, requestId).then(
        (response) => send(res, requestId, response),
        (error: unknown) => {
          deps.logger.error({ err: error, requestId }, 'unhandled failure');
          send(res, requestId, encodeError(protocol, protocolErrors.internalFailure(), requestId));
        },
      );
    });
    req.on('error', () => res.destroy());
  });
}

function plain(status: number, text: string): EncodedResponse {
  return { status, headers: { 'content-type': 'text/plain' }, body: text };
}

function send(res: ServerResponse, requestId: string, response: EncodedResponse, close = false): void {
  if (res.destroyed) return;
  const headers: Record<string, string | number> = {
    ...response.headers,
    'x-amzn-requestid': requestId,
    'content-length': Buffer.byteLength(response.body),
  };
  if (close) headers.connection = 'close';
  res.writeHead(response.status, headers);
  res.end(response.body);
}

export function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${shownHost}:${address.port}`);
    });
  });
}

export { AwsError };
