/**
 * Amazon EventBridge event patterns: parsing/validation (as PutRule and TestEventPattern do) and
 * matching.
 *
 * Matching rules:
 * - Fields of a pattern object are ANDed; the matchers in a field's array are ORed.
 * - Nested pattern objects follow the event's structure. When the event holds an array of objects
 *   there, the sub-pattern must match one element as a whole (array-consistent matching).
 * - A leaf field's values are its scalar values: a scalar (string, number, boolean, null), or the
 *   scalar elements of an array (nested arrays flattened). An object is not a leaf value.
 * - Exact values compare by JSON type; numbers compare numerically (5 matches 5.0 and 5e0).
 * - `prefix`, `suffix`, `equals-ignore-case` and `wildcard` only match strings; `numeric` only JSON
 *   numbers; `cidr` only strings holding an IP address (IPv4 or IPv6).
 * - `anything-but` needs the field to be present with a leaf value that is not excluded.
 * - `exists: true` needs at least one leaf value (null counts; an object or an empty array does not);
 *   `exists: false` matches exactly when there is none, including when a parent is missing.
 * - `$or`: an array of two or more sub-patterns at any level; any of them matching suffices.
 */

export class EventPatternError extends Error {
  override name = 'EventPatternError';
}

/** One condition inside a field's array. */
export type Matcher =
  | { kind: 'exact'; value: string | number | boolean | null }
  | { kind: 'prefix'; value: string; ignoreCase: boolean }
  | { kind: 'suffix'; value: string; ignoreCase: boolean }
  | { kind: 'equals-ignore-case'; value: string }
  | { kind: 'wildcard'; regex: RegExp }
  | { kind: 'numeric'; conditions: NumericCondition[] }
  | { kind: 'exists'; value: boolean }
  | { kind: 'cidr'; block: CidrBlock }
  | { kind: 'anything-but'; exclude: AnythingBut };

export type NumericOperator = '=' | '<' | '<=' | '>' | '>=';
export interface NumericCondition {
  op: NumericOperator;
  value: number;
}

export type AnythingBut =
  | { kind: 'values'; values: (string | number)[] }
  | { kind: 'prefix'; value: string }
  | { kind: 'suffix'; value: string }
  | { kind: 'equals-ignore-case'; values: string[] }
  | { kind: 'wildcard'; regexes: RegExp[] };

export interface CidrBlock {
  version: 4 | 6;
  network: bigint;
  prefixLength: number;
}

/** A compiled event pattern (an object level). */
export interface Pattern {
  fields: PatternField[];
  /** Each entry is a `$or` at this level: a list of alternatives, at least one of which must match. */
  or: Pattern[][];
}

export type PatternField =
  | { name: string; kind: 'leaf'; matchers: Matcher[] }
  | { name: string; kind: 'object'; pattern: Pattern };

const NUMERIC_LIMIT = 5e9;
const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard', 'cidr']);

function invalid(reason: string): never {
  throw new EventPatternError(`Event pattern is not valid. Reason: ${reason}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/* ------------------------------------------------------------------------------------------------ */
/* Parsing                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

export function parseEventPattern(text: string): Pattern {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    invalid(`Filter is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) invalid('Filter is not an object');
  if (Object.keys(raw).length === 0) invalid('Empty event pattern is not allowed');
  return compileObject(raw, '');
}

function compileObject(obj: Record<string, unknown>, path: string): Pattern {
  const pattern: Pattern = { fields: [], or: [] };
  for (const [name, value] of Object.entries(obj)) {
    const fieldPath = path ? `${path}.${name}` : name;
    if (name === '$or' && isOrPrimitive(value)) {
      const alternatives = value as unknown[];
      if (alternatives.length < 2) invalid(`"$or" at "${path || '<root>'}" must list at least two sub-patterns`);
      pattern.or.push(
        alternatives.map((alt, i) => {
          const p = alt as Record<string, unknown>;
          if (Object.keys(p).length === 0) invalid(`"$or" sub-pattern ${i} at "${path || '<root>'}" is empty`);
          return compileObject(p, path);
        }),
      );
      continue;
    }
    if (Array.isArray(value)) {
      pattern.fields.push({ name, kind: 'leaf', matchers: compileLeaf(value, fieldPath) });
    } else if (isObject(value)) {
      if (Object.keys(value).length === 0) invalid(`"${fieldPath}" is an empty object`);
      const keys = Object.keys(value);
      if (keys.length === 1 && OPERATORS.has(keys[0]!)) {
        invalid(`"${fieldPath}": the "${keys[0]}" match expression must be inside an array`);
      }
      pattern.fields.push({ name, kind: 'object', pattern: compileObject(value, fieldPath) });
    } else {
      invalid(`"${fieldPath}" must be an object or an array`);
    }
  }
  return pattern;
}

/** `$or` is the OR primitive when it holds an array whose elements are all objects naming fields. */
function isOrPrimitive(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((el) => isObject(el) && !Object.keys(el).some((k) => OPERATORS.has(k)))
  );
}

function compileLeaf(values: unknown[], path: string): Matcher[] {
  if (values.length === 0) invalid(`Empty arrays are not allowed (at "${path}")`);
  return values.map((v) => compileMatcher(v, path));
}

function compileMatcher(v: unknown, path: string): Matcher {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return { kind: 'exact', value: v };
  if (typeof v === 'number') return { kind: 'exact', value: v };
  if (Array.isArray(v)) invalid(`Match value for "${path}" must be a string, number, boolean, null or object, not an array`);
  if (!isObject(v)) invalid(`Unsupported match value for "${path}"`);
  const keys = Object.keys(v);
  if (keys.length !== 1) invalid(`Match expression for "${path}" must contain exactly one operator, found ${keys.length}`);
  const op = keys[0]!;
  const arg = v[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (typeof arg === 'string') return { kind: op, value: arg, ignoreCase: false };
      if (isObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string') {
        return { kind: op, value: arg['equals-ignore-case'], ignoreCase: true };
      }
      return invalid(`"${op}" match pattern for "${path}" must be a string or {"equals-ignore-case": string}`);
    }
    case 'equals-ignore-case':
      if (typeof arg !== 'string') invalid(`"equals-ignore-case" match pattern for "${path}" must be a string`);
      return { kind: 'equals-ignore-case', value: arg };
    case 'wildcard':
      if (typeof arg !== 'string') invalid(`"wildcard" match pattern for "${path}" must be a string`);
      return { kind: 'wildcard', regex: compileWildcard(arg, path) };
    case 'exists':
      if (typeof arg !== 'boolean') invalid(`"exists" match pattern for "${path}" must be true or false`);
      return { kind: 'exists', value: arg };
    case 'numeric':
      return { kind: 'numeric', conditions: compileNumeric(arg, path) };
    case 'cidr': {
      if (typeof arg !== 'string') invalid(`"cidr" match pattern for "${path}" must be a string`);
      const block = parseCidr(arg);
      if (!block) invalid(`Nonstandard IP address or CIDR block "${arg}" for "${path}"`);
      return { kind: 'cidr', block };
    }
    case 'anything-but':
      return { kind: 'anything-but', exclude: compileAnythingBut(arg, path) };
    default:
      return invalid(`Unrecognized match type "${op}" for "${path}"`);
  }
}

function compileNumeric(arg: unknown, path: string): NumericCondition[] {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) {
    invalid(`"numeric" for "${path}" must be an array of one or two operator/value pairs`);
  }
  const conditions: NumericCondition[] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i] as unknown;
    const value = arg[i + 1] as unknown;
    if (op !== '=' && op !== '<' && op !== '<=' && op !== '>' && op !== '>=') {
      invalid(`Unrecognized numeric range operator ${JSON.stringify(op)} for "${path}"`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      invalid(`Value of numeric operator "${op}" for "${path}" must be a number`);
    }
    if (value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) {
      invalid(`Numeric value ${value} for "${path}" is outside the supported range -5.0e9 to 5.0e9`);
    }
    conditions.push({ op, value });
  }
  if (conditions.length === 2) {
    const [lower, upper] = conditions as [NumericCondition, NumericCondition];
    if (lower.op !== '>' && lower.op !== '>=') {
      invalid(`The first operator of a numeric range for "${path}" must be ">" or ">="`);
    }
    if (upper.op !== '<' && upper.op !== '<=') {
      invalid(`The second operator of a numeric range for "${path}" must be "<" or "<="`);
    }
    if (!(lower.value < upper.value)) invalid(`Bottom must be less than top in numeric range for "${path}"`);
  }
  return conditions;
}

function compileAnythingBut(arg: unknown, path: string): AnythingBut {
  if (typeof arg === 'string' || (typeof arg === 'number' && Number.isFinite(arg))) return { kind: 'values', values: [arg] };
  if (Array.isArray(arg)) {
    if (arg.length === 0) invalid(`"anything-but" list for "${path}" must not be empty`);
    const allStrings = arg.every((x) => typeof x === 'string');
    const allNumbers = arg.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!allStrings && !allNumbers) invalid(`Inside "anything-but" list for "${path}", mixed types or nested values are not allowed; use all strings or all numbers`);
    return { kind: 'values', values: arg as (string | number)[] };
  }
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1) invalid(`"anything-but" expression for "${path}" must contain exactly one operator`);
    const op = keys[0]!;
    const inner = arg[op];
    switch (op) {
      case 'prefix':
      case 'suffix':
        if (typeof inner !== 'string' || inner === '') invalid(`Value of "anything-but" ${op} for "${path}" must be a non-empty string`);
        return { kind: op, value: inner };
      case 'equals-ignore-case':
        return { kind: 'equals-ignore-case', values: stringOrStrings(inner, `"anything-but" equals-ignore-case for "${path}"`) };
      case 'wildcard':
        return {
          kind: 'wildcard',
          regexes: stringOrStrings(inner, `"anything-but" wildcard for "${path}"`).map((w) => compileWildcard(w, path)),
        };
      default:
        return invalid(`Unsupported "anything-but" operator "${op}" for "${path}"; expected prefix, suffix, equals-ignore-case or wildcard`);
    }
  }
  return invalid(`Value of "anything-but" for "${path}" must be a string, a number, a list of those, or an object`);
}

function stringOrStrings(v: unknown, what: string): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  return invalid(`${what} must be a string or a non-empty list of strings`);
}

/** `*` matches any run of characters; `\*` is a literal asterisk and `\\` a literal backslash. */
function compileWildcard(w: string, path: string): RegExp {
  let re = '';
  let prevStar = false;
  for (let i = 0; i < w.length; i++) {
    const c = w[i]!;
    if (c === '*') {
      if (prevStar) invalid(`Consecutive wildcard characters at pos ${i} in wildcard pattern for "${path}"`);
      re += '[\\s\\S]*';
      prevStar = true;
      continue;
    }
    prevStar = false;
    if (c === '\\') {
      const next = w[i + 1];
      if (next !== '*' && next !== '\\') invalid(`Invalid escape character at pos ${i} in wildcard pattern for "${path}"`);
      re += next === '*' ? '\\*' : '\\\\';
      i++;
      continue;
    }
    re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

/* ------------------------------------------------------------------------------------------------ */
/* IP addresses                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const b = Number(p);
    if (b > 255) return undefined;
    n = (n << 8n) | BigInt(b);
  }
  return n;
}

function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let text = s;
  const groups: number[] = [];
  // An embedded IPv4 tail (e.g. ::ffff:10.0.0.1) contributes two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(Number(v4 >> 16n) & 0xffff).toString(16)}:${(Number(v4) & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups.push(...head, ...new Array<number>(missing).fill(0), ...tail);
  } else {
    if (head.length !== 8) return undefined;
    groups.push(...head);
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function parseIp(s: string): { version: 4 | 6; value: bigint } | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = s.includes(':') ? parseIPv6(s) : undefined;
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

function parseCidr(s: string): CidrBlock | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return undefined;
  const prefixLength = Number(lenText);
  const bits = ip.version === 4 ? 32 : 128;
  if (prefixLength > bits) return undefined;
  return { version: ip.version, network: maskOf(ip.value, prefixLength, bits), prefixLength };
}

function maskOf(value: bigint, prefixLength: number, bits: number): bigint {
  const hostBits = BigInt(bits - prefixLength);
  return (value >> hostBits) << hostBits;
}

function inCidr(block: CidrBlock, s: string): boolean {
  const ip = parseIp(s);
  if (!ip || ip.version !== block.version) return false;
  return maskOf(ip.value, block.prefixLength, block.version === 4 ? 32 : 128) === block.network;
}

/* ------------------------------------------------------------------------------------------------ */
/* Matching                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

export function matchesEventPattern(pattern: Pattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Pattern, value: unknown): boolean {
  if (Array.isArray(value)) {
    const objects = flatten(value).filter(isObject);
    if (objects.length > 0) return objects.some((o) => matchObject(pattern, o));
    return matchObject(pattern, undefined);
  }
  const obj = isObject(value) ? value : undefined;
  const get = (name: string): unknown => (obj && Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : undefined);
  for (const field of pattern.fields) {
    const sub = get(field.name);
    const ok = field.kind === 'leaf' ? matchLeaf(field.matchers, leafValues(sub)) : matchObject(field.pattern, sub);
    if (!ok) return false;
  }
  return pattern.or.every((alternatives) => alternatives.some((alt) => matchObject(alt, value)));
}

function flatten(values: unknown[]): unknown[] {
  return values.flatMap((v) => (Array.isArray(v) ? flatten(v) : [v]));
}

type Scalar = string | number | boolean | null;

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** The leaf values present at a field: none when missing or an object. */
function leafValues(v: unknown): Scalar[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return flatten(v).filter(isScalar);
  return isScalar(v) ? [v] : [];
}

function matchLeaf(matchers: Matcher[], values: Scalar[]): boolean {
  return matchers.some((m) => {
    if (m.kind === 'exists') return m.value ? values.length > 0 : values.length === 0;
    return values.some((v) => matchValue(m, v));
  });
}

function foldEq(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();
}

function matchValue(m: Exclude<Matcher, { kind: 'exists' }>, v: Scalar): boolean {
  switch (m.kind) {
    case 'exact':
      return v === m.value;
    case 'prefix':
      if (typeof v !== 'string') return false;
      return m.ignoreCase ? v.length >= m.value.length && foldEq(v.slice(0, m.value.length), m.value) : v.startsWith(m.value);
    case 'suffix':
      if (typeof v !== 'string') return false;
      return m.ignoreCase ? v.length >= m.value.length && foldEq(v.slice(v.length - m.value.length), m.value) : v.endsWith(m.value);
    case 'equals-ignore-case':
      return typeof v === 'string' && foldEq(v, m.value);
    case 'wildcard':
      return typeof v === 'string' && m.regex.test(v);
    case 'numeric':
      return typeof v === 'number' && m.conditions.every((c) => compareNumeric(c, v));
    case 'cidr':
      return typeof v === 'string' && inCidr(m.block, v);
    case 'anything-but':
      return !excluded(m.exclude, v);
  }
}

function compareNumeric(c: NumericCondition, v: number): boolean {
  switch (c.op) {
    case '=':
      return v === c.value;
    case '<':
      return v < c.value;
    case '<=':
      return v <= c.value;
    case '>':
      return v > c.value;
    case '>=':
      return v >= c.value;
  }
}

/** Whether `anything-but` excludes the value; values of other types than the exclusion are not excluded. */
function excluded(ab: AnythingBut, v: Scalar): boolean {
  switch (ab.kind) {
    case 'values':
      return ab.values.some((x) => x === v);
    case 'prefix':
      return typeof v === 'string' && v.startsWith(ab.value);
    case 'suffix':
      return typeof v === 'string' && v.endsWith(ab.value);
    case 'equals-ignore-case':
      return typeof v === 'string' && ab.values.some((x) => foldEq(x, v));
    case 'wildcard':
      return typeof v === 'string' && ab.regexes.some((r) => r.test(v));
  }
}

