/** What the loader reports: one problem per fault, with its JSON path and, when known, its place in the text. */
import { formatPath } from '../json-path';
import type { PathSegment } from '../json-path';
import type { Design } from '../model';

/** One reason a file is not a design. */
export interface LoadProblem {
  /** Where, as `hosts[2].address`; `$` is the whole file. */
  path: string;
  segments: PathSegment[];
  /** What is wrong and what was expected, without the path. */
  message: string;
  /** 1-based, when the text is known. */
  line?: number;
  column?: number;
}

/** A loaded design, or every problem that keeps the file from being one. */
export type LoadResult = { ok: true; design: Design } | { ok: false; problems: LoadProblem[] };

/** `hosts[2].address: '10.0.0.300' is not …`, with ` (line 12, column 18)` when known. */
export function describeProblem(problem: LoadProblem): string {
  const where = problem.line === undefined ? '' : ` (line ${problem.line}, column ${problem.column})`;
  return problem.path === '$' ? `${problem.message}${where}` : `${problem.path}: ${problem.message}${where}`;
}

/** A problem at `segments`, its path spelled as `hosts[2].address`. */
export function problem(segments: PathSegment[], message: string): LoadProblem {
  return { path: formatPath(segments), segments, message };
}

/** The failure of a load, each problem once (several checks may find the same fault). */
export function failure(problems: LoadProblem[]): LoadResult {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { ok: false, problems: unique };
}

/** `a site`, `an app`, `an entrypoint`. */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}
