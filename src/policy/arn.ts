/** ARN matching: each of the six ':'-separated parts is matched on its own, wildcards within a part. */
import { matchPattern, type Pattern } from './glob.js';
import type { KeyLookup } from './context.js';
import { resolvePattern } from './variables.js';

/** Splits an ARN (or ARN pattern) into its six parts, ignoring `:` inside `${...}`. */
export function splitArn(raw: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '$' && raw[i + 1] === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    if (ch === ':' && depth === 0 && parts.length < 5) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.length === 6 ? parts : undefined;
}

function splitPattern(pattern: Pattern): Pattern[] | undefined {
  const parts: Pattern[] = [[]];
  for (const item of pattern) {
    if (item === ':' && parts.length < 6) parts.push([]);
    else parts[parts.length - 1].push(item);
  }
  return parts.length === 6 ? parts : undefined;
}

function partsMatch(parts: (Pattern | undefined)[], arn: string): boolean {
  const have = splitArn(arn);
  return have !== undefined && parts.every((part, i) => part !== undefined && matchPattern(part, have[i]));
}

/**
 * ArnEquals/ArnLike: AWS: "Each of the six colon-delimited components of the ARN is checked separately",
 * so wildcards never cross ':' (StringLike's do). Variables may stand for several parts at once.
 */
export function arnMatches(policyValue: string, arn: string, lookup: KeyLookup, variables: boolean): boolean {
  if (policyValue === '*') return true;
  const pattern = resolvePattern(policyValue, lookup, variables);
  const parts = pattern && splitPattern(pattern);
  return parts !== undefined && partsMatch(parts, arn);
}

/** Resource element: as ArnLike, but AWS substitutes variables only in the resource part (after the fifth colon). */
export function resourceArnMatches(policyValue: string, arn: string, lookup: KeyLookup, variables: boolean): boolean {
  if (policyValue === '*') return true;
  const raw = splitArn(policyValue);
  if (!raw) return false;
  return partsMatch(raw.map((part, i) => resolvePattern(part, lookup, variables && i === 5)), arn);
}
