/** The condition operator catalogue: names, families, negation, and how each family reads values. */
import { parseCidr } from './ip.js';
import type { SetQualifier } from './types.js';

export type Family = 'string' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';

export interface OperatorInfo {
  family: Family;
  /** Negated operators: true when no value matches, and true when the key is missing. */
  negated: boolean;
  /** The positive operator a negated one inverts (itself when not negated). */
  positive: string;
}

const op = (family: Family, positive: string, negated = false): OperatorInfo => ({ family, positive, negated });

export const OPERATORS: Readonly<Record<string, OperatorInfo>> = {
  StringEquals: op('string', 'StringEquals'),
  StringNotEquals: op('string', 'StringEquals', true),
  StringEqualsIgnoreCase: op('string', 'StringEqualsIgnoreCase'),
  StringNotEqualsIgnoreCase: op('string', 'StringEqualsIgnoreCase', true),
  StringLike: op('string', 'StringLike'),
  StringNotLike: op('string', 'StringLike', true),
  NumericEquals: op('numeric', 'NumericEquals'),
  NumericNotEquals: op('numeric', 'NumericEquals', true),
  NumericLessThan: op('numeric', 'NumericLessThan'),
  NumericLessThanEquals: op('numeric', 'NumericLessThanEquals'),
  NumericGreaterThan: op('numeric', 'NumericGreaterThan'),
  NumericGreaterThanEquals: op('numeric', 'NumericGreaterThanEquals'),
  DateEquals: op('date', 'DateEquals'),
  DateNotEquals: op('date', 'DateEquals', true),
  DateLessThan: op('date', 'DateLessThan'),
  DateLessThanEquals: op('date', 'DateLessThanEquals'),
  DateGreaterThan: op('date', 'DateGreaterThan'),
  DateGreaterThanEquals: op('date', 'DateGreaterThanEquals'),
  Bool: op('bool', 'Bool'),
  BinaryEquals: op('binary', 'BinaryEquals'),
  IpAddress: op('ip', 'IpAddress'),
  NotIpAddress: op('ip', 'IpAddress', true),
  // AWS: ArnEquals and ArnLike behave identically (both take wildcards), as do their negations.
  ArnEquals: op('arn', 'ArnLike'),
  ArnLike: op('arn', 'ArnLike'),
  ArnNotEquals: op('arn', 'ArnLike', true),
  ArnNotLike: op('arn', 'ArnLike', true),
  Null: op('null', 'Null'),
};

const CANONICAL = new Map(Object.keys(OPERATORS).map((name) => [name.toLowerCase(), name]));

export interface ParsedOperator {
  base: string;
  ifExists: boolean;
  qualifier?: SetQualifier;
}

/** Splits `ForAllValues:StringLikeIfExists`; undefined for unknown names (and for `NullIfExists`). */
export function parseOperatorName(name: string): ParsedOperator | undefined {
  let rest = name;
  let qualifier: SetQualifier | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon).toLowerCase();
    if (prefix === 'foranyvalue') qualifier = 'ForAnyValue';
    else if (prefix === 'forallvalues') qualifier = 'ForAllValues';
    else return undefined;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  if (rest.toLowerCase().endsWith('ifexists')) {
    ifExists = true;
    rest = rest.slice(0, -'ifexists'.length);
  }
  const base = CANONICAL.get(rest.toLowerCase());
  if (!base) return undefined;
  // AWS: IfExists can be added to every operator except Null.
  if (base === 'Null' && (ifExists || qualifier)) return undefined;
  return { base, ifExists, qualifier };
}

/** A number as AWS numeric operators read it: integers and decimals, optionally signed. */
export function parseNumber(text: string): number | undefined {
  if (!/^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) return undefined;
  return Number(text);
}

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(T(\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Milliseconds since the epoch from an ISO 8601 date/time or from epoch seconds (AWS: both accepted). */
export function parseDate(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const m = ISO_DATE.exec(trimmed);
  if (!m) return undefined;
  let iso = trimmed;
  if (m[2] !== undefined && m[8] === undefined) iso += 'Z';
  else if (m[8] && /^[+-]\d{4}$/.test(m[8])) iso = iso.slice(0, -2) + ':' + iso.slice(-2);
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

export function parseBool(text: string): boolean | undefined {
  const lower = text.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

export function parseBase64(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.length % 4 === 1) return undefined;
  return Buffer.from(trimmed, 'base64');
}

/** Checks a policy value for a family; returns a problem description or undefined. */
export function policyValueProblem(family: Family, value: string): string | undefined {
  switch (family) {
    case 'numeric':
      return parseNumber(value) === undefined ? 'is not a number' : undefined;
    case 'date':
      return parseDate(value) === undefined ? 'is not an ISO 8601 date or epoch seconds' : undefined;
    case 'bool':
    case 'null':
      return parseBool(value) === undefined ? "must be 'true' or 'false'" : undefined;
    case 'binary':
      return parseBase64(value) === undefined ? 'is not base64' : undefined;
    case 'ip':
      return parseCidr(value) === undefined ? 'is not an IP address or CIDR block' : undefined;
    default:
      return undefined;
  }
}
