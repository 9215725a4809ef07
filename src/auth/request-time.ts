/** When a signed request says it was made, and whether that is close enough to now. */
import { authErrors } from './auth-errors.js';

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

let lastText = '';
let lastMs: number | undefined;

/** Parses `YYYYMMDDTHHMMSSZ`; undefined unless it names a real instant. */
export function parseAmzDate(text: string): number | undefined {
  // Requests signed in the same second share their date: remember the last one parsed.
  if (text === lastText) return lastMs;
  const m = AMZ_DATE.exec(text);
  const ms = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
  lastText = text;
  lastMs = ms !== undefined && formatAmzDate(ms) === text ? ms : undefined;
  return lastMs;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export interface RequestTime {
  /** The timestamp as it enters the string to sign. */
  amzDate: string;
  ms: number;
}

/** The header form's time: `X-Amz-Date`, else the HTTP `Date` header (RFC 1123). */
export function headerRequestTime(amzDateHeader: string | undefined, dateHeader: string | undefined): RequestTime | undefined {
  if (amzDateHeader !== undefined) {
    const ms = parseAmzDate(amzDateHeader.trim());
    if (ms !== undefined) return { amzDate: amzDateHeader.trim(), ms };
  }
  if (dateHeader !== undefined) {
    const ms = Date.parse(dateHeader);
    if (!Number.isNaN(ms)) return { amzDate: formatAmzDate(ms), ms };
  }
  return undefined;
}

export type SkewError = 'SignatureDoesNotMatch' | 'RequestTimeTooSkewed';

/** Refuses a request whose time is more than `maxSkewMs` before or after `now`. */
export function checkSkew(time: RequestTime, now: number, maxSkewMs: number, style: SkewError): void {
  const tooOld = time.ms < now - maxSkewMs;
  const tooNew = time.ms > now + maxSkewMs;
  if (!tooOld && !tooNew) return;
  if (style === 'RequestTimeTooSkewed') throw authErrors.requestTimeTooSkewed();
  const window = `${Math.round(maxSkewMs / 60_000)} min.`;
  // AWS: Query-protocol services (SQS, STS, IAM) word it this way, under SignatureDoesNotMatch.
  throw authErrors.signatureExpired(
    tooOld
      ? `Signature expired: ${time.amzDate} is now earlier than ${formatAmzDate(now - maxSkewMs)} (${formatAmzDate(now)} - ${window})`
      : `Signature not yet current: ${time.amzDate} is still later than ${formatAmzDate(now + maxSkewMs)} (${formatAmzDate(now)} + ${window})`,
  );
}

/** A presigned request lives from its `X-Amz-Date` (within the skew) until `X-Amz-Expires` seconds after. */
export function checkPresignedWindow(time: RequestTime, expiresSeconds: number, now: number, maxSkewMs: number, style: SkewError): void {
  if (time.ms > now + maxSkewMs) checkSkew(time, now, maxSkewMs, style);
  if (now > time.ms + expiresSeconds * 1000) throw authErrors.presignExpired();
}
