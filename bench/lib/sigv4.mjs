// Minimal AWS Signature Version 4 signer for the SQS AWS JSON 1.0 protocol.
//
// Only what the benchmark needs: POST requests whose signed headers are exactly
// content-type, host, x-amz-date and x-amz-target, with the payload hash computed
// over the body. The derived signing key is cached per UTC day, and the
// x-amz-date string is cached per second, so a request costs two SHA-256 digests
// and one HMAC. bench/sigv4-check.mjs compares the output with @smithy/signature-v4.

import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
export const SIGNED_HEADERS = 'content-type;host;x-amz-date;x-amz-target';

export function sha256Hex(data) {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key, data) {
  return createHmac('sha256', key).update(data).digest();
}

let cachedSecond = -1;
let cachedAmzDate = '';
let cachedDateStamp = '';

/** Returns { amzDate: 'YYYYMMDDTHHMMSSZ', dateStamp: 'YYYYMMDD' } for `nowMs` (cached per second). */
export function amzDateFor(nowMs = Date.now()) {
  const sec = Math.floor(nowMs / 1000);
  if (sec !== cachedSecond) {
    const iso = new Date(sec * 1000).toISOString(); // 2024-05-01T12:34:56.000Z
    cachedAmzDate =
      iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + 'T' +
      iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
    cachedDateStamp = cachedAmzDate.slice(0, 8);
    cachedSecond = sec;
  }
  return { amzDate: cachedAmzDate, dateStamp: cachedDateStamp };
}

export class SigV4Signer {
  /**
   * @param {{accessKeyId: string, secretAccessKey: string, region?: string, service?: string}} opts
   */
  constructor({ accessKeyId, secretAccessKey, region = 'us-east-1', service = 'sqs' }) {
    this.accessKeyId = accessKeyId;
    this.secretAccessKey = secretAccessKey;
    this.region = region;
    this.service = service;
    this._keyDate = '';
    this._key = null;
    this._credPrefix = '';
  }

  /** Derived signing key for a UTC date stamp, cached until the day changes. */
  signingKey(dateStamp) {
    if (dateStamp !== this._keyDate) {
      const kDate = hmac('AWS4' + this.secretAccessKey, dateStamp);
      const kRegion = hmac(kDate, this.region);
      const kService = hmac(kRegion, this.service);
      this._key = hmac(kService, 'aws4_request');
      this._keyDate = dateStamp;
      this._scope = `${dateStamp}/${this.region}/${this.service}/aws4_request`;
      this._credPrefix = `${ALGORITHM} Credential=${this.accessKeyId}/${this._scope}, SignedHeaders=${SIGNED_HEADERS}, Signature=`;
    }
    return this._key;
  }

  /**
   * Prebuilds the constant parts of the canonical request for one host + X-Amz-Target.
   * Canonical request = prefix + amzDate + suffix + payloadHash.
   */
  template(hostHeader, target, path = '/') {
    const prefix =
      'POST\n' + path + '\n' + '\n' + // method, canonical URI, empty canonical query string
      'content-type:' + JSON_CONTENT_TYPE + '\n' +
      'host:' + hostHeader + '\n' +
      'x-amz-date:';
    const suffix =
      '\n' + 'x-amz-target:' + target + '\n' + '\n' + SIGNED_HEADERS + '\n';
    return { prefix, suffix, target, hostHeader, path };
  }

  /**
   * Signs `body` for a prebuilt template. Returns { amzDate, authorization }.
   * `nowMs` is injectable for tests.
   */
  sign(tpl, body, nowMs = Date.now()) {
    const { amzDate, dateStamp } = amzDateFor(nowMs);
    const key = this.signingKey(dateStamp);
    const canonical = tpl.prefix + amzDate + tpl.suffix + sha256Hex(body);
    const stringToSign = ALGORITHM + '\n' + amzDate + '\n' + this._scope + '\n' + sha256Hex(canonical);
    const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
    return { amzDate, authorization: this._credPrefix + signature };
  }
}
