/** Policy variables: `${aws:username}`, `${key, 'default'}` and the escapes `${*}`, `${?}`, `${$}`. */
import { ANY_ONE, ANY_RUN, type Pattern, pushLiteral } from './glob.js';
import type { KeyLookup } from './context.js';

interface VariableRef {
  end: number;
  key: string;
  fallback?: string;
}

const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };

/** Reads `${key}` or `${key, 'default'}` at `start`; undefined when the text there is not a variable. */
function readVariable(raw: string, start: number): VariableRef | undefined {
  let i = start + 2;
  let key = '';
  while (i < raw.length && raw[i] !== '}' && raw[i] !== ',' && raw[i] !== "'") key += raw[i++];
  key = key.trim();
  if (key === '' || i >= raw.length) return undefined;
  if (raw[i] === '}') return { end: i + 1, key };
  if (raw[i] !== ',') return undefined;
  i++;
  while (raw[i] === ' ') i++;
  if (raw[i] !== "'") return undefined;
  i++;
  let fallback = '';
  for (;;) {
    if (i >= raw.length) return undefined;
    if (raw[i] === "'" && raw[i + 1] === "'") {
      fallback += "'";
      i += 2;
    } else if (raw[i] === "'") {
      i++;
      break;
    } else {
      fallback += raw[i++];
    }
  }
  while (raw[i] === ' ') i++;
  if (raw[i] !== '}') return undefined;
  return { end: i + 1, key, fallback };
}

/**
 * Resolves a policy value into a wildcard pattern, substituting variables when `variables` is true
 * (Version 2012-10-17; AWS: under 2008-10-17 `${...}` is literal text). Substituted text is literal.
 * Returns undefined when a variable has no value and no default: AWS treats such a value as null, which
 * equals and is like nothing. A multi-valued key cannot be a variable.
 */
export function resolvePattern(raw: string, lookup: KeyLookup, variables: boolean): Pattern | undefined {
  const out: Pattern = [];
  let i = 0;
  while (i < raw.length) {
    if (variables && raw.startsWith('${', i)) {
      const ref = readVariable(raw, i);
      if (ref) {
        const escaped = ESCAPES[ref.key];
        const values = escaped === undefined ? lookup(ref.key) : undefined;
        const value = escaped ?? (values && values.length === 1 ? values[0] : undefined) ?? ref.fallback;
        if (value === undefined) return undefined;
        pushLiteral(out, value);
        i = ref.end;
        continue;
      }
    }
    const ch = String.fromCodePoint(raw.codePointAt(i)!);
    out.push(ch === '*' ? ANY_RUN : ch === '?' ? ANY_ONE : ch);
    i += ch.length;
  }
  return out;
}
