import type { Shape, StructureShape } from '../model.js';
import { protocolErrors } from '../protocol-errors.js';

const typeNames: Record<string, string> = {
  integer: 'an Integer',
  long: 'a Long',
  boolean: 'a Boolean',
  string: 'a String',
  blob: 'a Blob',
  list: 'a List',
  map: 'a Map',
  structure: 'a Structure',
  timestamp: 'a Timestamp',
};

function kindOf(value: unknown): string {
  if (value === null) return 'NULL_VALUE';
  if (Array.isArray(value)) return 'START_ARRAY';
  switch (typeof value) {
    case 'string':
      return 'STRING_VALUE';
    case 'number':
      return Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
    case 'boolean':
      return value ? 'VALUE_TRUE' : 'VALUE_FALSE';
    default:
      return 'START_OBJECT';
  }
}

const mismatch = (value: unknown, shape: Shape) =>
  protocolErrors.serialization(`${kindOf(value)} can not be converted to ${typeNames[shape.type] ?? shape.type}`);

/**
 * Parses an AWS JSON 1.0 request body and checks it against the operation's input shape: wrong
 * types are a SerializationException (as AWS answers), missing required members MissingParameter.
 * Unknown members are ignored, as AWS ignores them.
 */
export function decodeJsonInput(body: Buffer, shape: StructureShape): Record<string, unknown> {
  let value: unknown;
  if (body.length === 0) value = {};
  else {
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw protocolErrors.serialization('Malformed JSON request body.');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw mismatch(value, shape);
  check(shape, value, '');
  return value as Record<string, unknown>;
}

function check(shape: Shape, value: unknown, path: string): void {
  if (value === null || value === undefined) return;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw mismatch(value, shape);
      const v = value as Record<string, unknown>;
      for (const name of shape.required ?? []) {
        if (v[name] === undefined || v[name] === null) throw protocolErrors.missingParameter(path + name);
      }
      for (const name in v) {
        const member = shape.members[name];
        if (member) check(member, v[name], '');
      }
      return;
    }
    case 'list':
      if (!Array.isArray(value)) throw mismatch(value, shape);
      for (const item of value) {
        if (item === null) throw protocolErrors.nullCollectionMember('member');
        check(shape.member, item, path);
      }
      return;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) throw mismatch(value, shape);
      for (const key in value as Record<string, unknown>) {
        const item = (value as Record<string, unknown>)[key];
        if (item === null) throw protocolErrors.nullCollectionMember('value');
        check(shape.value, item, path);
      }
      return;
    case 'string':
      if (typeof value !== 'string') throw mismatch(value, shape);
      return;
    case 'blob':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw mismatch(value, shape);
      return;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw mismatch(value, shape);
      if (shape.type === 'integer' && (value > 2147483647 || value < -2147483648)) throw mismatch(value, shape);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw mismatch(value, shape);
      return;
    default:
      return;
  }
}
