// A deliberately thin SQS (AWS JSON 1.0) client over node:http: keep-alive agents,
// prebuilt signing templates per action, bodies built by the caller as strings.
// Requests never reject: the promise resolves to { status, body, error }, with
// status 0 for network errors and timeouts.

import http from 'node:http';
import { SigV4Signer, JSON_CONTENT_TYPE } from './sigv4.mjs';

export class SqsJsonClient {
  /**
   * @param {string} endpoint e.g. http://127.0.0.1:9324
   * @param {{accessKeyId: string, secretAccessKey: string, region?: string}} creds
   */
  constructor(endpoint, creds) {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:') throw new Error(`only http:// endpoints are supported: ${endpoint}`);
    this.endpoint = endpoint;
    this.hostname = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || 80);
    this.hostHeader = url.host; // what node would send, and what we sign
    this.path = url.pathname || '/';
    this.signer = new SigV4Signer({ ...creds, service: 'sqs' });
    this.templates = new Map();
  }

  /** One keep-alive agent per group of loops; maxSockets = the loop count. */
  agent(maxSockets) {
    return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' });
  }

  _template(action) {
    let tpl = this.templates.get(action);
    if (!tpl) {
      // A dotted action is a full target (e.g. TrentService.CreateKey, AWS JSON 1.1).
      const target = action.includes('.') ? action : 'AmazonSQS.' + action;
      tpl = this.signer.template(this.hostHeader, target, this.path);
      tpl.headers = [
        'Host', this.hostHeader,
        // The signer signs the 1.0 content type; sealq's JSON 1.1 endpoint (KMS) accepts it too.
        'Content-Type', JSON_CONTENT_TYPE,
        'X-Amz-Target', tpl.target,
        'X-Amz-Date', '',
        'Authorization', '',
        'Content-Length', '',
      ];
      this.templates.set(action, tpl);
    }
    return tpl;
  }

  /**
   * POSTs a JSON body string for `action`.
   * @returns {Promise<{status: number, body: string, error?: string}>}
   */
  call(agent, action, body, timeoutMs = 30_000) {
    const tpl = this._template(action);
    const { amzDate, authorization } = this.signer.sign(tpl, body);
    // Raw [name, value, ...] header list copied from the template: node skips
    // per-header setHeader() validation for arrays.
    const headers = tpl.headers.slice();
    headers[7] = amzDate;
    headers[9] = authorization;
    headers[11] = String(Buffer.byteLength(body));
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r) => {
        if (!settled) {
          settled = true;
          resolve(r);
        }
      };
      const req = http.request(
        {
          hostname: this.hostname,
          port: this.port,
          method: 'POST',
          path: this.path,
          agent,
          headers,
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            data += c;
          });
          res.on('end', () => finish({ status: res.statusCode, body: data }));
          res.on('error', (e) => finish({ status: 0, body: data, error: e.code || e.message }));
        },
      );
      req.setTimeout(timeoutMs, () => {
        req.destroy(new Error(`timeout after ${timeoutMs} ms`));
      });
      req.on('error', (e) => finish({ status: 0, body: '', error: e.code || e.message }));
      req.end(body);
    });
  }

  /** Convenience for setup calls: returns the parsed JSON or throws with the server's message. */
  async json(agent, action, payload, timeoutMs = 30_000) {
    const r = await this.call(agent, action, JSON.stringify(payload), timeoutMs);
    if (r.status !== 200) throw new Error(`${action} failed: ${describeFailure(r)}`);
    return r.body ? JSON.parse(r.body) : {};
  }
}

/** Short human description of a failed call, for error samples. */
export function describeFailure(r) {
  if (r.status === 0) return `network error ${r.error}`;
  let detail = r.body ? r.body.slice(0, 200) : '';
  try {
    const j = JSON.parse(r.body);
    detail = `${j.__type ?? j.code ?? ''} ${j.message ?? j.Message ?? ''}`.trim() || detail;
  } catch {
    /* not JSON */
  }
  return `HTTP ${r.status} ${detail}`;
}

/** GET /health once; resolves to the status code (0 on error). */
export function health(endpoint, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const url = new URL('/health', endpoint);
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
  });
}
