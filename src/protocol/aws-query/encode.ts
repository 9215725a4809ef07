import type { AwsError } from '../../shared/aws-error.js';
import type { OperationModel, Shape, StructureShape } from '../model.js';
import type { EncodedResponse } from '../aws-json/encode.js';

export const XML_CONTENT_TYPE = 'text/xml';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' };

export function escapeXml(text: string): string {
  return /[&<>"'\r]/.test(text) ? text.replace(/[&<>"'\r]/g, (c) => ESCAPES[c]) : text;
}

/** `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…` from a wire-shaped value. */
export function encodeQueryResult(
  action: string,
  operation: OperationModel,
  wire: unknown,
  requestId: string,
  xmlns: string,
): EncodedResponse {
  const parts: string[] = [`<?xml version="1.0"?><${action}Response xmlns="${xmlns}">`];
  if (operation.output) {
    parts.push(`<${operation.resultWrapper}>`);
    writeMembers(parts, operation.output, (wire ?? {}) as Record<string, unknown>);
    parts.push(`</${operation.resultWrapper}>`);
  }
  parts.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`);
  return { status: 200, headers: { 'content-type': XML_CONTENT_TYPE }, body: parts.join('') };
}

function writeMembers(parts: string[], shape: StructureShape, value: Record<string, unknown>): void {
  for (const name in shape.members) {
    const inner = value[name];
    if (inner === undefined || inner === null) continue;
    const member = shape.members[name];
    write(parts, member, member.queryName, inner);
  }
}

function write(parts: string[], shape: Shape, element: string, value: unknown): void {
  switch (shape.type) {
    case 'structure':
      parts.push(`<${element}>`);
      writeMembers(parts, shape, value as Record<string, unknown>);
      parts.push(`</${element}>`);
      return;
    case 'list': {
      const items = value as unknown[];
      if (shape.flattened) {
        for (const item of items) write(parts, shape.member, element, item);
      } else {
        parts.push(`<${element}>`);
        for (const item of items) write(parts, shape.member, shape.memberName, item);
        parts.push(`</${element}>`);
      }
      return;
    }
    case 'map': {
      const entry = shape.flattened ? element : 'entry';
      if (!shape.flattened) parts.push(`<${element}>`);
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        parts.push(`<${entry}><${shape.keyName}>${escapeXml(key)}</${shape.keyName}>`);
        write(parts, shape.value, shape.valueName, v);
        parts.push(`</${entry}>`);
      }
      if (!shape.flattened) parts.push(`</${element}>`);
      return;
    }
    case 'timestamp': {
      // AWS Query timestamps are ISO 8601; sealq passes them as epoch milliseconds or Dates.
      const iso = new Date(value as number | string | Date).toISOString();
      parts.push(`<${element}>${iso}</${element}>`);
      return;
    }
    default:
      parts.push(`<${element}>${escapeXml(String(value))}</${element}>`);
  }
}

export function encodeQueryError(error: AwsError, requestId: string, xmlns: string): EncodedResponse {
  const body =
    `<?xml version="1.0"?><ErrorResponse xmlns="${xmlns}"><Error><Type>${error.spec.fault}</Type>` +
    `<Code>${escapeXml(error.spec.queryCode)}</Code><Message>${escapeXml(error.queryMessage)}</Message><Detail/></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: error.spec.status, headers: { 'content-type': XML_CONTENT_TYPE }, body };
}
