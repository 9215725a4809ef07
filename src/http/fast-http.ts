import { STATUS_CODES, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A lean HTTP/1.1 path for the requests that make up nearly all of sealq's traffic: a POST with
 * a Content-Length body of an AWS API call, answered with a small whole body. node:http spends
 * more CPU per request (an IncomingMessage and a ServerResponse, each a stream, and their events)
 * than parsing such a request and writing its answer in one call does.
 *
 * Every connection starts here. The first request that is not a plain one (another method, a
 * chunked or `Expect` body, a repeated header, anything unusual, or one `wants` declines: S3,
 * the console, admin pages) hands the connection to node:http for the rest of its life, with the
 * bytes already read put back first. So node:http still serves, and judges, everything else.
 */
export interface FastHttpOptions {
  /** Largest body served here; a larger declared body goes to node:http (which refuses it). */
  maxBodyBytes: number;
  /** Idle keep-alive time, as node:http's keepAliveTimeout. */
  keepAliveMs: number;
  /** Longest time a request may take to arrive whole, as node:http's requestTimeout. */
  requestTimeoutMs: number;
  /** Whether this path serves the request, from its head alone. */
  wants(method: string, path: string, query: string, headers: IncomingHttpHeaders): boolean;
  /** Serves a whole request; `reply` writes the answer. */
  serve(request: FastRequest, reply: (response: FastResponse) => void): void;
}

export interface FastRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  socket: Socket;
}

export interface FastResponse {
  status: number;
  headers: Record<string, string | number>;
  body: string;
  /** Close the connection after this answer. */
  close?: boolean;
}

/** Heads larger than this go to node:http, which applies its own limit (16 KiB by default). */
const MAX_HEAD_BYTES = 16 * 1024;
const TARGET = /^\/[\x21-\x7e]*$/;
const LINE_BREAK = /[\r\n]/;

/** Takes over `server`'s connections; returns nothing, the server keeps its usual API. */
export function installFastHttp(server: Server, options: FastHttpOptions): void {
  const nodeListeners = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  const open = new Set<FastConnection>();
  const handOver = (socket: Socket): void => {
    for (const listener of nodeListeners) listener.call(server, socket);
  };
  server.on('connection', (socket: Socket) => {
    const connection = new FastConnection(socket, options, handOver, () => !server.listening, open);
    open.add(connection);
  });
  // server.close() waits for every connection, so the idle ones held here must close as well.
  const closeIdle = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdle();
    for (const connection of open) connection.closeIfIdle();
  };
  const closeAll = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeAll();
    for (const connection of open) connection.socket.destroy();
  };
}

class FastConnection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private busy = false;
  private done = false;
  private ended = false;
  /** When the first byte of the request still arriving came. */
  private partialSince = 0;
  private readonly keepAliveHeaders: string;
  /** The head of a request whose body has not all arrived. */
  private awaited: { head: Head; bodyStart: number; end: number } | undefined;

  constructor(
    readonly socket: Socket,
    private readonly options: FastHttpOptions,
    private readonly handOver: (socket: Socket) => void,
    private readonly closing: () => boolean,
    private readonly open: Set<FastConnection>,
  ) {
    this.keepAliveHeaders = `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(options.keepAliveMs / 1000)}\r\n\r\n`;
    socket.setNoDelay(true);
    socket.setTimeout(options.keepAliveMs);
    socket.on('data', this.onData);
    socket.on('timeout', this.onTimeout);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('end', this.onEnd);
  }

  closeIfIdle(): void {
    if (!this.busy && this.buffered === 0 && !this.done) {
      this.leave();
      this.socket.destroy();
    }
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.buffered === 0) this.partialSince = performance.now();
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (!this.busy) this.next();
    // A client sending ahead while an answer is pending: stop reading until it is written.
    else if (this.buffered > this.options.maxBodyBytes + MAX_HEAD_BYTES) this.socket.pause();
  };

  /** Idle too long. A request still being served is not idle: its answer re-arms the timer. */
  private readonly onTimeout = (): void => {
    if (!this.done && !this.busy) this.socket.destroy();
  };

  private readonly onError = (): void => {
    if (!this.done) this.socket.destroy();
  };

  private readonly onClose = (): void => {
    this.leave();
  };

  /** The client sent all it will (a half-close): answer what is pending, then close. */
  private readonly onEnd = (): void => {
    this.ended = true;
    if (!this.busy && !this.done) {
      this.leave();
      this.socket.end();
    }
  };

  /** Parses and serves the next whole request held, if there is one. */
  private next(): void {
    if (this.buffered === 0) return;
    let awaited = this.awaited;
    if (!awaited) {
      const data = this.whole();
      const headEnd = data.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        if (data.length > MAX_HEAD_BYTES) this.giveToNode();
        else this.expireSlowRequest();
        return;
      }
      const head = parseHead(data.toString('latin1', 0, headEnd));
      if (!head || head.length > this.options.maxBodyBytes || !this.options.wants(head.method, head.path, head.query, head.headers)) {
        return this.giveToNode();
      }
      awaited = this.awaited = { head, bodyStart: headEnd + 4, end: headEnd + 4 + head.length };
    }
    // The body is still arriving: wait for it whole, without joining chunks each time.
    if (this.buffered < awaited.end) return this.expireSlowRequest();
    const data = this.whole();
    this.awaited = undefined;
    const body = data.subarray(awaited.bodyStart, awaited.end);
    if (data.length > awaited.end) {
      this.chunks = [data.subarray(awaited.end)];
      this.buffered = data.length - awaited.end;
      this.partialSince = performance.now();
    } else {
      this.chunks = [];
      this.buffered = 0;
    }
    this.busy = true;
    const { method, path, query, headers } = awaited.head;
    this.options.serve({ method, path, query, headers, body, socket: this.socket }, this.reply);
  }

  private readonly reply = (response: FastResponse): void => {
    this.busy = false;
    if (this.done || this.socket.destroyed) return;
    const close = response.close === true || this.ended || this.closing();
    let head = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}\r\n`;
    for (const name in response.headers) {
      const value = String(response.headers[name]);
      // Header values come from the error catalogue and the codecs; never let one split the answer.
      if (!LINE_BREAK.test(value)) head += `${name}: ${value}\r\n`;
    }
    head += `content-length: ${Buffer.byteLength(response.body)}\r\ndate: ${httpDate()}\r\n`;
    // As node:http does: the keep-alive hint lets a client retire an idle connection before we do.
    head += close ? 'connection: close\r\n\r\n' : this.keepAliveHeaders;
    this.socket.write(head + response.body);
    if (close) {
      this.leave();
      this.socket.end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.next();
  };

  /** A client trickling a request in keeps the idle timer from firing: bound the whole request. */
  private expireSlowRequest(): void {
    if (performance.now() - this.partialSince > this.options.requestTimeoutMs) {
      this.leave();
      this.socket.destroy();
    }
  }

  private whole(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0];
  }

  /** node:http serves this connection from here on, starting with the bytes already read. */
  private giveToNode(): void {
    this.leave();
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('timeout', this.onTimeout);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    socket.off('end', this.onEnd);
    socket.setTimeout(0);
    const held = this.chunks.length > 0 ? this.whole() : undefined;
    this.chunks = [];
    this.buffered = 0;
    this.awaited = undefined;
    // node:http would otherwise read the socket's handle directly and could pass the bytes put
    // back here only after newer ones; keep it reading through the stream, in order.
    const handle = (socket as unknown as { _handle?: { _consumed?: boolean } })._handle;
    if (handle) handle._consumed = true;
    if (held) socket.unshift(held);
    this.handOver(socket);
    if (socket.isPaused()) socket.resume();
  }

  private leave(): void {
    this.done = true;
    this.open.delete(this);
  }
}

interface Head {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  length: number;
}

/**
 * The request line and headers of a plain HTTP/1.1 request with a Content-Length body, or
 * undefined for anything else (node:http then serves it, or answers 400 as it judges).
 */
export function parseHead(text: string): Head | undefined {
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  const firstSpace = text.indexOf(' ');
  const lastSpace = text.lastIndexOf(' ', lineEnd);
  if (firstSpace <= 0 || lastSpace <= firstSpace || lastSpace >= lineEnd) return undefined;
  if (text.slice(0, firstSpace) !== 'POST' || text.slice(lastSpace + 1, lineEnd) !== 'HTTP/1.1') return undefined;
  const target = text.slice(firstSpace + 1, lastSpace);
  if (!TARGET.test(target)) return undefined;
  // A prototype-free object, so a header called __proto__ is just a header.
  const headers = Object.create(null) as Record<string, string>;
  for (let start = lineEnd + 2; start < text.length; start = lineEnd + 2) {
    lineEnd = text.indexOf('\r\n', start);
    if (lineEnd < 0) lineEnd = text.length;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon > lineEnd) return undefined;
    let upper = false;
    for (let i = start; i < colon; i++) {
      const c = text.charCodeAt(i);
      if (c > 127 || TOKEN[c] === 0) return undefined;
      if (TOKEN[c] === 2) upper = true;
    }
    const name = upper ? text.slice(start, colon).toLowerCase() : text.slice(start, colon);
    if (name in headers) return undefined;
    // The value without optional whitespace (spaces and tabs only, as HTTP defines it).
    let from = colon + 1;
    let to = lineEnd;
    while (from < to && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
    while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === 127) return undefined;
    }
    headers[name] = text.slice(from, to);
  }
  if ('transfer-encoding' in headers || 'expect' in headers || 'upgrade' in headers) return undefined;
  const connection = headers.connection;
  if (connection !== undefined && connection.toLowerCase() !== 'keep-alive') return undefined;
  const declared = headers['content-length'];
  if (declared === undefined || !/^\d{1,15}$/.test(declared)) return undefined;
  const mark = target.indexOf('?');
  return {
    method: 'POST',
    path: mark < 0 ? target : target.slice(0, mark),
    query: mark < 0 ? '' : target.slice(mark + 1),
    headers,
    length: Number(declared),
  };
}

/** Header-name characters (RFC 9110 tokens): 1 as they are, 2 for upper-case letters. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") TOKEN[c.charCodeAt(0)] = 1;
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') TOKEN[c.charCodeAt(0)] = 2;

let dateSecond = 0;
let dateText = '';

/** The Date header, formatted once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
