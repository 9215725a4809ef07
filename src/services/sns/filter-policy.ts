/**
 * SNS subscription filter policies: a message is delivered when every key of the policy matches
 * (AND), a key matching when any of its conditions does (OR). Conditions: exact strings and
 * numbers, `prefix`, `suffix`, `anything-but` (values or a prefix), `numeric` ranges, `exists`,
 * `equals-ignore-case`; `$or` at any level; with scope MessageBody, nested objects follow the body.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class FilterPolicyError extends Error {}

export function parseFilterPolicy(text: string): Record<string, Json> {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw new FilterPolicyError('Invalid parameter: FilterPolicy: failed to parse JSON.');
  }
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    throw new FilterPolicyError('Invalid parameter: FilterPolicy: Filter policy must be a JSON object.');
  }
  return policy as Record<string, Json>;
}

/** `values`: the message's attribute values (scope MessageAttributes) or its body object. */
export function matchesFilter(policy: Record<string, Json>, values: Record<string, Json>): boolean {
  return Object.entries(policy).every(([key, rule]) => {
    if (key === '$or') return Array.isArray(rule) && rule.some((p) => matchesFilter(p as Record<string, Json>, values));
    const value = values[key];
    if (rule !== null && typeof rule === 'object' && !Array.isArray(rule)) {
      return value !== null && typeof value === 'object' && !Array.isArray(value) && matchesFilter(rule as Record<string, Json>, value as Record<string, Json>);
    }
    const conditions = Array.isArray(rule) ? rule : [rule];
    const candidates = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return conditions.some((c) => condition(c, candidates, value !== undefined));
  });
}

function condition(c: Json, candidates: Json[], present: boolean): boolean {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return candidates.some((v) => v === c);
  const [op, arg] = Object.entries(c)[0] ?? [];
  switch (op) {
    case 'exists':
      return arg === present;
    case 'prefix':
      return candidates.some((v) => typeof v === 'string' && typeof arg === 'string' && v.startsWith(arg));
    case 'suffix':
      return candidates.some((v) => typeof v === 'string' && typeof arg === 'string' && v.endsWith(arg));
    case 'equals-ignore-case':
      return candidates.some((v) => typeof v === 'string' && typeof arg === 'string' && v.toLowerCase() === arg.toLowerCase());
    case 'anything-but': {
      if (!present) return false;
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg) && typeof arg.prefix === 'string') {
        return candidates.every((v) => !(typeof v === 'string' && v.startsWith(arg.prefix as string)));
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return candidates.every((v) => !excluded.includes(v));
    }
    case 'numeric': {
      const parts = Array.isArray(arg) ? arg : [];
      return candidates.some((v) => {
        const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
        if (Number.isNaN(n)) return false;
        for (let i = 0; i + 1 < parts.length; i += 2) {
          const bound = Number(parts[i + 1]);
          const ok =
            parts[i] === '=' ? n === bound : parts[i] === '<' ? n < bound : parts[i] === '<=' ? n <= bound : parts[i] === '>' ? n > bound : parts[i] === '>=' ? n >= bound : false;
          if (!ok) return false;
        }
        return true;
      });
    }
    default:
      return false;
  }
}
