/** Wildcard patterns (`*` any run, `?` one character) whose literal parts may come from policy variables. */

export const ANY_RUN: unique symbol = Symbol('*');
export const ANY_ONE: unique symbol = Symbol('?');

/** One code point per literal item, so a `*` produced by `${*}` stays literal. */
export type PatternItem = string | typeof ANY_RUN | typeof ANY_ONE;
export type Pattern = PatternItem[];

/** A pattern in which `*` and `?` are wildcards. */
export function wildcardPattern(text: string): Pattern {
  return Array.from(text, (ch) => (ch === '*' ? ANY_RUN : ch === '?' ? ANY_ONE : ch));
}

export function pushLiteral(pattern: Pattern, text: string): void {
  for (const ch of text) pattern.push(ch);
}

/** The pattern as text, wildcards written as `*` and `?` (for operators without wildcards). */
export function patternText(pattern: Pattern): string {
  let out = '';
  for (const item of pattern) out += item === ANY_RUN ? '*' : item === ANY_ONE ? '?' : item;
  return out;
}

/** Iterative matcher with single-star backtracking: linear in practice, no regular expressions. */
export function matchPattern(pattern: Pattern, text: string, ignoreCase = false): boolean {
  const chars = Array.from(ignoreCase ? text.toLowerCase() : text);
  const pat = ignoreCase ? pattern.map((i) => (typeof i === 'string' ? i.toLowerCase() : i)) : pattern;
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < chars.length) {
    const item = pat[p];
    if (p < pat.length && (item === ANY_ONE || item === chars[t])) {
      p++;
      t++;
    } else if (p < pat.length && item === ANY_RUN) {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pat.length && pat[p] === ANY_RUN) p++;
  return p === pat.length;
}

/** `*`/`?` wildcard match of plain text (no variables). */
export function wildcardMatch(patternTextValue: string, text: string, ignoreCase = false): boolean {
  return matchPattern(wildcardPattern(patternTextValue), text, ignoreCase);
}
