/**
 * A reader for `mongod.conf`, which is YAML: the maintained `yaml` package (already a
 * dependency) parses it, and its line counter gives the line of every setting so that whatever
 * import leaves unused can be named. Settings come out flat, by dotted path, as MongoDB's manual
 * names them (`replication.replSetName`).
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { binaryFileError } from './block-config';
import type { ReadResult } from './block-config';

/** One leaf setting: its dotted path, its value as written, its 1-based line. */
export interface MongodSetting {
  readonly path: string;
  readonly value: string;
  readonly line: number;
}

/** The settings of a file, or the first error that stopped the reading. */
export type MongodConfigResult = ReadResult<{ readonly settings: readonly MongodSetting[] }>;

/**
 * Reads `text` as a `mongod.conf`. A file with a NUL byte is refused as binary; YAML that does not
 * parse, or whose top level is not a mapping, is refused with the line the parser names.
 */
export function parseMongodConfig(text: string): MongodConfigResult {
  const binary = binaryFileError(text);
  if (binary) return binary;
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const [first] = document.errors;
  if (first) {
    return {
      ok: false,
      error: { line: lineCounter.linePos(first.pos[0]).line, message: first.message.split('\n')[0]! },
    };
  }
  if (document.contents === null) return { ok: true, settings: [] };
  if (!isMap(document.contents)) {
    return { ok: false, error: { line: 1, message: 'the file is not a mapping of settings' } };
  }
  const settings: MongodSetting[] = [];
  const lineOf = (node: Node): number => lineCounter.linePos(node.range?.[0] ?? 0).line;
  const walk = (node: Node, path: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (pair.value === null || pair.value === undefined) continue;
        walk(pair.value as Node, path === '' ? key : `${path}.${key}`);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item as Node, `${path}.${index}`));
    } else if (isScalar(node)) {
      settings.push({ path, value: String(node.value), line: lineOf(node) });
    }
  };
  walk(document.contents, '');
  return { ok: true, settings };
}
