/** GET /console and /console/*: the built console's files, safely, with a CSP of 'self' only. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConsolePath, serveConsole } from '../../src/http/console-assets.js';
import { startTestServer, type TestServer } from '../support/sealq.js';

/** A GET of exactly this path (fetch would resolve the dot segments before sending). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A console folder of our own, beside a file that must stay out of reach. */
const dir = mkdtempSync(join(tmpdir(), 'sealq-console-'));
const root = join(dir, 'console');
mkdirSync(join(root, 'assets'), { recursive: true });
writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title>');
writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(root, 'assets', 'app.css'), 'body{}');
writeFileSync(join(dir, 'secret.txt'), 'do not serve');

function serverOn(folder: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (!isConsolePath(path)) return res.writeHead(418).end();
    void serveConsole(res, req.method ?? 'GET', path, 'test', folder);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

let built: { server: Server; url: string };
let missing: { server: Server; url: string };
beforeAll(async () => {
  built = await serverOn(root);
  missing = await serverOn(join(dir, 'not-built'));
});
afterAll(async () => {
  await new Promise((r) => built.server.close(r));
  await new Promise((r) => missing.server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('console static files', () => {
  it('serves index.html at /console and /console/, and for routes without an extension', async () => {
    for (const path of ['/console', '/console/', '/console/queues/orders']) {
      const response = await fetch(built.url + path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toContain('<title>console</title>');
    }
  });

  it('serves assets with their content types and a CSP that allows only this origin', async () => {
    const js = await fetch(`${built.url}/console/assets/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = js.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    expect((await fetch(`${built.url}/console/assets/app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for a missing asset and never leaves the console folder', async () => {
    expect((await fetch(`${built.url}/console/assets/nope.js`)).status).toBe(404);
    for (const path of ['/console/../secret.txt', '/console/%2e%2e/secret.txt', '/console/assets/..%2f..%2fsecret.txt', '/console/%00.js', '/console/assets/../../secret.txt', '/console/..\\secret.txt']) {
      const response = await rawGet(built.url, path);
      expect(response.status, path).toBe(404);
      expect(response.body, path).not.toContain('do not serve');
    }
  });

  it('refuses methods other than GET and HEAD', async () => {
    expect((await fetch(`${built.url}/console/`, { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await fetch(`${built.url}/console/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers 404 with a hint when the console is not built', async () => {
    const response = await fetch(`${missing.url}/console`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('npm run build');
  });
});

describe('the console route of a sealq server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is served unsigned at /console, next to /health, while API requests still need a signature', async () => {
    const response = await fetch(`${server.url}/console`);
    // 200 once `npm run build` has built the console, 404 with the hint before.
    expect([200, 404]).toContain(response.status);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/`, { method: 'POST', body: 'Action=ListQueues' })).status).toBe(403);
  });
});
