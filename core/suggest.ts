import { closest, distance } from 'fastest-levenshtein';
import { quoteValue } from './json-path';

/**
 * The candidate a typo most likely meant, or undefined when none is close enough to suggest.
 * Close enough: at most two fifths of the word differs (`ngnix` → `nginx`, `adress` → `address`).
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || word.length === 0) return undefined;
  const best = closest(word, [...candidates]);
  const allowed = Math.max(1, Math.round(Math.max(word.length, best.length) * 0.4));
  const edits = distance(word, best);
  return edits <= allowed && edits < word.length ? best : undefined;
}

/** ` (did you mean 'x'?)` when a candidate is close, else an empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean ${quoteValue(match)}?)`;
}
