import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { EncodedResponse } from '../protocol/aws-json/encode.js';
import { protocolErrors } from '../protocol/protocol-errors.js';
import { encodeError, type WireProtocol } from '../protocol/sqs/sqs-endpoint.js';
import { newUuid } from '../shared/ids.js';
import { clientIp, handleRequest, type PipelineDependencies, type RawRequest } from './pipeline.js';
import { handleS3, isS3Request } from './s3-front.js';
import { installFastHttp } from './fast-http.js';
import { isConsolePath, serveConsole } from './console-assets.js';
import type { S3Service } from '../services/s3/s3-service.js';

export interface HttpDependencies extends PipelineDependencies {
  snsCertificate: () => Promise<string>;
  /** Wipes all state (POST /_sealq/reset, only with allowReset). */
  reset: () => Promise<void>;
  version: string;
  s3: S3Service;
  /** Where the built console lives (default dist/console); tests may point elsewhere. */
  consoleDir?: string;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Idle keep-alive connections close after this (longer than common client pools keep them). */
const KEEP_ALIVE_MS = 65_000;

/** The node:http front: request ids, body limits, the admin routes, then the SQS pipeline. */
export function createHttpFront(deps: HttpDependencies): Server {
  const limit = deps.config.maxRequestBytes;
  const tls = deps.config.tlsCert && deps.config.tlsKey
    ? { cert: readFileSync(deps.config.tlsCert), key: readFileSync(deps.config.tlsKey) }
    : undefined;
  const create = tls
    ? (handler: Parameters<typeof createHttpServer>[1]) => createHttpsServer({ ...tls, keepAliveTimeout: KEEP_ALIVE_MS }, handler)
    : (handler: Parameters<typeof createHttpServer>[1]) => createHttpServer({ keepAliveTimeout: KEEP_ALIVE_MS }, handler);
  const server = create((req, res) => {
    const requestId = newUuid();
    // Only the first '?' separates path and query; the query may hold more.
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const query = mark < 0 ? '' : url.slice(mark + 1);
    // S3 first: its bodies stream, and its paths are bucket names (a bucket may be called "health").
    if (isS3Request(req.headers, query)) return handleS3(deps, req, res, requestId, path, query);
    if (req.method === 'GET' && path === '/health') {
      return send(res, requestId, {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'ok', version: deps.version, storage: 'sqlite' }),
      });
    }
    if (isConsolePath(path)) {
      req.resume();
      serveConsole(res, req.method ?? 'GET', path, requestId, deps.consoleDir).catch((error: unknown) => {
        deps.logger.error({ err: error, requestId }, 'console file failed');
        send(res, requestId, plain(500, 'console unavailable'));
      });
      return;
    }
    if (req.method === 'GET' && path === '/metrics' && deps.metrics) {
      deps.metrics.text().then(
        (text) => send(res, requestId, { status: 200, headers: { 'content-type': deps.metrics!.registry.contentType }, body: text }),
        () => send(res, requestId, plain(500, 'metrics unavailable')),
      );
      return;
    }
    if (req.method === 'GET' && path === '/_sealq/sns/SimpleNotificationService.pem') {
      // The certificate SNS notifications are signed with (their SigningCertURL): public.
      deps.snsCertificate().then(
        (pem) => send(res, requestId, { status: 200, headers: { 'content-type': 'application/x-pem-file' }, body: pem }),
        () => send(res, requestId, plain(500, 'no certificate')),
      );
      return;
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
      const request: RawRequest = {
        method: req.method ?? 'GET',
        path,
        query,
        headers: req.headers,
        // Built only when a header repeats: node makes the distinct view on demand, an array per header.
        headersDistinct: req.rawHeaders.length === 2 * Object.keys(req.headers).length ? undefined : req.headersDistinct,
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
        secure: 'encrypted' in req.socket && req.socket.encrypted === true,
        sourceIp: clientIp(req.socket),
      };
      serveApi(deps, request, requestId, (response) => send(res, requestId, response));
    });
    req.on('error', () => res.destroy());
  });
  // TLS connections stay with node:https; plain ones start on the lean path (see fast-http.ts).
  if (!tls) {
    installFastHttp(server, {
      maxBodyBytes: limit,
      keepAliveMs: KEEP_ALIVE_MS,
      // node:http's default requestTimeout.
      requestTimeoutMs: 300_000,
      // What node's handler above would pass to the pipeline: not S3, the console or the reset.
      wants: (_method, path, query, headers) =>
        !isS3Request(headers, query) && !isConsolePath(path) && !(path === '/_sealq/reset' && deps.config.allowReset),
      serve: (request, reply) => {
        const requestId = newUuid();
        const raw: RawRequest = {
          method: request.method,
          path: request.path,
          query: request.query,
          headers: request.headers,
          body: request.body,
          secure: false,
          sourceIp: clientIp(request.socket),
        };
        serveApi(deps, raw, requestId, (response) =>
          reply({ status: response.status, headers: { ...response.headers, 'x-amzn-requestid': requestId }, body: response.body }),
        );
      },
    });
  }
  return server;
}

/** Runs an API request through the pipeline; a failure that escapes it is an InternalFailure. */
function serveApi(deps: HttpDependencies, request: RawRequest, requestId: string, reply: (response: EncodedResponse) => void): void {
  handleRequest(deps, request, requestId).then(reply, (error: unknown) => {
    deps.logger.error({ err: error, requestId }, 'unhandled failure');
    const protocol: WireProtocol = request.headers['x-amz-target'] ? 'json' : 'query';
    reply(encodeError(protocol, protocolErrors.internalFailure(), requestId));
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

export function listen(server: Server, host: string, port: number, scheme: 'http' | 'https' = 'http'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`${scheme}://${shownHost}:${address.port}`);
    });
  });
}

