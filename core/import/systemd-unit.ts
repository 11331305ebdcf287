/**
 * A reader for systemd unit files (`.service`, `.mount`): `[Section]` headers, `Key=Value`
 * lines, `#` and `;` comments, and lines continued with a trailing backslash, as systemd.syntax
 * describes. Small enough that a dependency would add more than it saves; it keeps the line of
 * every setting so that whatever import leaves unused can be named.
 */
import { binaryFileError } from './block-config';
import type { ReadResult } from './block-config';

/** One `Key=Value` setting, with the section it is in and the line where it starts. */
export interface UnitSetting {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** The settings of a unit file, or the first error that stopped the reading. */
export type UnitFileResult = ReadResult<{ readonly settings: readonly UnitSetting[] }>;

/**
 * Reads `text` as a systemd unit file. A file with a NUL byte is refused as binary, a setting
 * before any section and a line that is neither a section, a setting nor a comment are refused
 * with their line.
 */
export function parseUnitFile(text: string): UnitFileResult {
  const binary = binaryFileError(text, 'a unit');
  if (binary) return binary;
  const settings: UnitSetting[] = [];
  const lines = text.split('\n');
  let section: string | undefined;
  for (let index = 0; index < lines.length; index += 1) {
    const line = index + 1;
    let raw = lines[index]!;
    raw = raw.trim();
    if (raw === '' || raw.startsWith('#') || raw.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(raw);
    if (header) {
      section = header[1]!;
      continue;
    }
    // A trailing backslash joins the next line with a space; comment lines inside are skipped.
    while (raw.endsWith('\\') && index + 1 < lines.length) {
      index += 1;
      const next = lines[index]!.trim();
      // The trailing backslash stays, so the line after the comment continues the setting too.
      if (next.startsWith('#') || next.startsWith(';')) continue;
      raw = `${raw.slice(0, -1)} ${next}`;
    }
    const equals = raw.indexOf('=');
    if (equals <= 0) {
      return {
        ok: false,
        error: { line, message: `\`${raw}\` is neither a [section], a Key=Value setting nor a comment` },
      };
    }
    if (section === undefined) {
      return { ok: false, error: { line, message: 'a setting comes before any [section]' } };
    }
    settings.push({ section, key: raw.slice(0, equals).trim(), value: raw.slice(equals + 1).trim(), line });
  }
  return { ok: true, settings };
}
