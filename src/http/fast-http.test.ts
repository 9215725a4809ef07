import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { installFastHttp, parseHead } from './fast-http.js';

const post = (path: string, body: string, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('parseHead', () => {
  it('reads a plain POST: lower-case names, trimmed values, path and query apart', () => {
    const head = parseHead('POST /000000000000/q?a=1?b HTTP/1.1\r\nHost: h:1\r\nX-Amz-Target:\t AmazonSQS.SendMessage \r\nContent-Length: 12');
    expect(head).toEqual({
      method: 'POST',
      path: '/000000000000/q',
      query: 'a=1?b',
      headers: expect.objectContaining({ host: 'h:1', 'x-amz-target': 'AmazonSQS.SendMessage', 'content-length': '12' }),
      length: 12,
    });
  });

  it('declines what node:http should judge', () => {
    const declined = [
      'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0',
      'POST / HTTP/1.0\r\nHost: h\r\nContent-Length: 0',
      'POST / HTTP/1.1\r\nHost: h',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3',
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close',
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nUpgrade: websocket',
      'POST / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 3',
      'POST / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n folded\r\nContent-Length: 3',
      'POST / HTTP/1.1\r\nHo st: h\r\nContent-Length: 3',
      'POST / HTTP/1.1\r\n: h\r\nContent-Length: 3',
      'POST / HTTP/1.1\r\nHost: a\x01b\r\nContent-Length: 3',
      'POST /a b HTTP/1.1\r\nHost: h\r\nContent-Length: 3',
      'POST http://h/ HTTP/1.1\r\nHost: h\r\nContent-Length: 3',
    ];
    for (const text of declined) expect(parseHead(text), text).toBeUndefined();
  });

  it('keeps a header called __proto__ as a header, not a prototype', () => {
    const head = parseHead('POST / HTTP/1.1\r\n__proto__: x\r\nContent-Length: 0');
    expect(head?.headers.__proto__).toBe('x');
    expect(Object.getPrototypeOf(head?.headers)).toBeNull();
  });
});

describe('installFastHttp', () => {
  let server: Server;
  const sockets: Socket[] = [];

  /** node:http answers "node <method> <path> <body>"; the fast path answers "fast <path> <body>". */
  async function start(): Promise<number> {
    server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = `node ${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`;
        res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    installFastHttp(server, {
      maxBodyBytes: 1024,
      keepAliveMs: 5_000,
      requestTimeoutMs: 300,
      wants: (_method, path) => path !== '/node',
      serve: (request, reply) =>
        setTimeout(
          () =>
            reply({
              status: 200,
              headers: { 'x-path': request.path, ...(request.path === '/split' ? { 'x-bad': 'a\r\nx-evil: 1' } : {}) },
              body: `fast ${request.path} ${request.body.toString()}`,
            }),
          request.path === '/slow' ? 100 : 0,
        ),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async function open(port: number): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    return socket;
  }

  /** Reads `count` whole responses from the socket; returns their bodies and headers. */
  function responses(socket: Socket, count: number): Promise<Array<{ status: number; headers: Record<string, string>; body: string }>> {
    return new Promise((resolve, reject) => {
      let data = Buffer.alloc(0);
      const out: Array<{ status: number; headers: Record<string, string>; body: string }> = [];
      const onData = (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        for (;;) {
          const headEnd = data.indexOf('\r\n\r\n');
          if (headEnd < 0) return;
          const [statusLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
          const headers: Record<string, string> = {};
          for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
          const end = headEnd + 4 + Number(headers['content-length']);
          if (data.length < end) return;
          out.push({ status: Number(statusLine.split(' ')[1]), headers, body: data.subarray(headEnd + 4, end).toString() });
          data = data.subarray(end);
          if (out.length === count) {
            socket.off('data', onData);
            return resolve(out);
          }
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`connection closed after ${out.length} of ${count} responses`)));
    });
  }

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  it('serves keep-alive requests in turn on one connection', async () => {
    const socket = await open(await start());
    for (const body of ['one', 'two']) {
      const reply = responses(socket, 1);
      socket.write(post('/q', body));
      const [r] = await reply;
      expect(r).toMatchObject({ status: 200, body: `fast /q ${body}` });
      expect(r.headers).toMatchObject({ 'x-path': '/q', connection: 'keep-alive', 'keep-alive': 'timeout=5', 'content-length': String(5 + 3 + body.length) });
      expect(r.headers.date).toMatch(/GMT$/);
    }
  });

  it('waits for a body that arrives in pieces, byte by byte', async () => {
    const socket = await open(await start());
    const reply = responses(socket, 1);
    const bytes = Buffer.from(post('/q', 'héllo wörld'));
    for (let i = 0; i < bytes.length; i++) {
      socket.write(bytes.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await reply)[0].body).toBe('fast /q héllo wörld');
  });

  it('never lets a header value with a line break split the answer', async () => {
    const socket = await open(await start());
    const reply = responses(socket, 1);
    socket.write(post('/split', 's'));
    const [answer] = await reply;
    expect(answer.body).toBe('fast /split s');
    expect(answer.headers['x-path']).toBe('/split');
    expect(answer.headers).not.toHaveProperty('x-evil');
    expect(answer.headers).not.toHaveProperty('x-bad');
  });

  it('answers pipelined requests in order', async () => {
    const socket = await open(await start());
    const reply = responses(socket, 3);
    socket.write(post('/a', '1') + post('/b', '22') + post('/c', '333'));
    expect((await reply).map((r) => r.body)).toEqual(['fast /a 1', 'fast /b 22', 'fast /c 333']);
  });

  it('hands the connection to node:http at the first request it declines, bytes and all', async () => {
    const socket = await open(await start());
    const first = responses(socket, 1);
    socket.write(post('/q', 'x'));
    expect((await first)[0].body).toBe('fast /q x');
    // A declined request pipelined behind a served one, then a plain POST: node:http has both.
    const rest = responses(socket, 3);
    socket.write(post('/q', 'y') + 'GET /node HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.write(post('/q', 'z'));
    expect((await rest).map((r) => r.body)).toEqual(['fast /q y', 'node GET /node ', 'node POST /q z']);
  });

  it('gives node:http a body larger than the limit, and a chunked one', async () => {
    const port = await start();
    const big = await open(port);
    const bigReply = responses(big, 1);
    big.write(post('/q', 'b'.repeat(2000)));
    expect((await bigReply)[0].body).toBe(`node POST /q ${'b'.repeat(2000)}`);
    const chunked = await open(port);
    const chunkedReply = responses(chunked, 1);
    chunked.write('POST /q HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    expect((await chunkedReply)[0].body).toBe('node POST /q abc');
  });

  it('answers a request whose client half-closed after sending it, then closes', async () => {
    const socket = await open(await start());
    const reply = responses(socket, 1);
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    socket.end(post('/slow', 'last'));
    const [answer] = await reply;
    expect(answer.body).toBe('fast /slow last');
    expect(answer.headers.connection).toBe('close');
    await ended;
  });

  it('keeps a connection whose request takes longer to serve than the idle timeout', async () => {
    server = createServer();
    installFastHttp(server, {
      maxBodyBytes: 1024,
      keepAliveMs: 150,
      requestTimeoutMs: 300,
      wants: () => true,
      serve: (request, reply) => setTimeout(() => reply({ status: 200, headers: {}, body: `late ${request.path}` }), 400),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = await open((server.address() as AddressInfo).port);
    const reply = responses(socket, 1);
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.write(post('/long', 'x'));
    expect((await reply)[0].body).toBe('late /long');
    // Idle again after the answer: the idle timeout applies once more.
    const answeredAt = Date.now();
    expect((await closed) - answeredAt).toBeLessThan(1_000);
  });

  it('drops a connection whose request keeps trickling in past the request timeout', async () => {
    const socket = await open(await start());
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const text = post('/q', 'x'.repeat(500));
    let sent = 0;
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write(text.slice(sent, sent + 1));
      sent++;
    }, 20);
    const started = Date.now();
    await closed;
    clearInterval(trickle);
    // The idle timeout (5 s) never fired; the request timeout did, long before the body was whole.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(sent).toBeLessThan(text.length);
  });

  it('lets server.close finish by closing idle connections, and closes after the answer in flight', async () => {
    const port = await start();
    const idle = await open(port);
    const idleReply = responses(idle, 1);
    idle.write(post('/q', 'i'));
    await idleReply;
    const busy = await open(port);
    const busyReply = responses(busy, 1);
    busy.write(post('/slow', 'b'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const [answer] = await busyReply;
    expect(answer.body).toBe('fast /slow b');
    expect(answer.headers.connection).toBe('close');
    await closed;
    expect(idle.readableEnded || idle.destroyed).toBe(true);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
});
