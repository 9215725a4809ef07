/** Condition evaluation: every operator family, IfExists, set qualifiers, and policy variables. */
import { matchPattern, patternText, type Pattern } from './glob.js';
import { cidrContains, parseCidr } from './ip.js';
import type { KeyLookup } from './context.js';
import { OPERATORS, parseBase64, parseBool, parseDate, parseNumber } from './operators.js';
import type { ConditionClause } from './types.js';
import { resolvePattern } from './variables.js';
import { arnMatches } from './arn.js';

/** Tests one request value against one policy value, for the positive form of an operator. */
type Matcher = (requestValue: string) => boolean;

const compare: Record<string, (a: number, b: number) => boolean> = {
  Equals: (a, b) => a === b,
  LessThan: (a, b) => a < b,
  LessThanEquals: (a, b) => a <= b,
  GreaterThan: (a, b) => a > b,
  GreaterThanEquals: (a, b) => a >= b,
};

function numericMatcher(positive: string, prefix: string, parse: (s: string) => number | undefined) {
  const test = compare[positive.slice(prefix.length)];
  return (policyValue: string): Matcher | undefined => {
    const want = parse(policyValue);
    if (want === undefined) return undefined;
    return (rv) => {
      const have = parse(rv);
      return have !== undefined && test(have, want);
    };
  };
}

/** Builds the matcher for one policy value; undefined when it can match nothing (unresolved variable). */
function matcherFor(positive: string, policyValue: string, lookup: KeyLookup, variables: boolean): Matcher | undefined {
  const resolve = (): Pattern | undefined => resolvePattern(policyValue, lookup, variables);
  switch (positive) {
    case 'StringEquals': {
      const p = resolve();
      const text = p && patternText(p);
      return text === undefined ? undefined : (rv) => rv === text;
    }
    case 'StringEqualsIgnoreCase': {
      const p = resolve();
      const text = p && patternText(p).toLowerCase();
      return text === undefined ? undefined : (rv) => rv.toLowerCase() === text;
    }
    case 'StringLike': {
      const p = resolve();
      return p && ((rv) => matchPattern(p, rv));
    }
    case 'ArnLike':
      return (rv) => arnMatches(policyValue, rv, lookup, variables);
    case 'Bool': {
      const want = parseBool(policyValue);
      return want === undefined ? undefined : (rv) => parseBool(rv) === want;
    }
    case 'BinaryEquals': {
      const want = parseBase64(policyValue);
      return want && ((rv) => parseBase64(rv)?.equals(want) === true);
    }
    case 'IpAddress': {
      const cidr = parseCidr(policyValue);
      return cidr && ((rv) => cidrContains(cidr, rv));
    }
    default:
      if (positive.startsWith('Numeric')) return numericMatcher(positive, 'Numeric', parseNumber)(policyValue);
      if (positive.startsWith('Date')) return numericMatcher(positive, 'Date', parseDate)(policyValue);
      throw new Error(`no matcher for condition operator ${positive}`);
  }
}

/**
 * Evaluates one clause. Policy values are OR'd (NOR for negated operators). A missing key is false,
 * except: negated operators and `...IfExists` are true; `ForAllValues` is true; `ForAnyValue` is false.
 */
export function clauseHolds(clause: ConditionClause, lookup: KeyLookup, variables: boolean): boolean {
  const info = OPERATORS[clause.base];
  const values = lookup(clause.key);
  if (info.family === 'null') {
    // AWS: Null "true" means the key must be absent, "false" that it must be present.
    return clause.values.some((v) => parseBool(v) === (values === undefined));
  }
  if (values === undefined) {
    if (clause.ifExists) return true;
    if (clause.qualifier === 'ForAllValues') return true;
    if (clause.qualifier === 'ForAnyValue') return false;
    return info.negated;
  }
  // AWS: variables work only in String and Arn operators.
  const useVariables = variables && (info.family === 'string' || info.family === 'arn');
  const matchers = clause.values
    .map((v) => matcherFor(info.positive, v, lookup, useVariables))
    .filter((m): m is Matcher => m !== undefined);
  const positive = (rv: string): boolean => matchers.some((m) => m(rv));
  const holds = (rv: string): boolean => (info.negated ? !positive(rv) : positive(rv));
  if (clause.qualifier === 'ForAllValues') return values.every(holds);
  if (clause.qualifier === 'ForAnyValue') return values.some(holds);
  // Without a qualifier a multi-valued key matches when any of its values does.
  return info.negated ? !values.some(positive) : values.some(positive);
}

export type ConditionResult = { ok: true } | { ok: false; failed: ConditionClause };

/** All clauses must hold (operators and keys are AND'd). */
export function conditionsHold(clauses: ConditionClause[], lookup: KeyLookup, variables: boolean): ConditionResult {
  for (const clause of clauses) {
    if (!clauseHolds(clause, lookup, variables)) return { ok: false, failed: clause };
  }
  return { ok: true };
}
