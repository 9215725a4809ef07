import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The operator console's static files (GET /console and /console/*), built by Vite into
 * dist/console. Everything the console does afterwards goes through the signed APIs like any
 * client's request; these files are public and hold no data.
 */

/** dist/console: the same folder whether this module runs from src/http or from dist/http. */
export const defaultConsoleDir = fileURLToPath(new URL('../../dist/console', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Nothing but this origin: no CDN, no inline script, no framing. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const isConsolePath = (path: string): boolean => path === '/console' || path.startsWith('/console/');

/**
 * Serves one console request: the file under `root` the path names, else index.html for paths
 * without an extension (the console's own routes), else 404. Paths that leave `root` are refused.
 */
export async function serveConsole(res: ServerResponse, method: string, path: string, requestId: string, root = defaultConsoleDir): Promise<void> {
  const reply = (status: number, headers: Record<string, string>, body: Buffer | string) => {
    if (res.destroyed) return;
    res.writeHead(status, {
      ...headers,
      'x-amzn-requestid': requestId,
      'x-content-type-options': 'nosniff',
      'content-security-policy': CONSOLE_CSP,
      'referrer-policy': 'no-referrer',
      'content-length': Buffer.byteLength(body),
    });
    res.end(method === 'HEAD' ? undefined : body);
  };
  const text = (status: number, message: string) => reply(status, { 'content-type': 'text/plain; charset=utf-8' }, message);
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'The console serves GET and HEAD only.');

  let relative: string;
  try {
    relative = decodeURIComponent(path.slice('/console'.length).replace(/^\/+/, ''));
  } catch {
    return text(400, 'Bad path.');
  }
  if (relative.includes('\0') || relative.split(/[\\/]/).includes('..')) return text(404, 'Not found.');
  const index = resolve(root, 'index.html');
  if (!(await isFile(index))) {
    return text(404, 'The console is not built: run `npm run build` (it builds the server and the console into dist/console).');
  }
  const wanted = relative === '' ? index : resolve(root, relative);
  if (wanted !== index && !wanted.startsWith(resolve(root) + sep)) return text(404, 'Not found.');
  let file = wanted;
  if (!(await isFile(file))) {
    if (extname(relative) !== '') return text(404, 'Not found.');
    file = index;
  }
  const body = await readFile(file);
  const cache = file === index ? 'no-cache' : relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  reply(200, { 'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'cache-control': cache }, body);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
