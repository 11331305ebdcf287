/**
 * A reader for the brace-block config formats of nginx and keepalived: words, quoted strings,
 * `#` comments and `{ }` blocks. No maintained npm parser covers both (the well-known nginx
 * parser, crossplane, is Python-only), and import needs the file and line of every directive so
 * that whatever it does not use can be named; this reader keeps them and nothing else.
 */

/** One directive with its arguments as written (quotes removed), its 1-based line, and its block. */
export interface BlockDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly line: number;
  readonly block?: readonly BlockDirective[];
}

/** Why a file could not be read as a block config, with the 1-based line where it went wrong. */
export interface BlockConfigError {
  readonly line: number;
  readonly message: string;
}

/** What a config reader gives: what it read, or the first error that stopped the reading. */
export type ReadResult<T> =
  ({ readonly ok: true } & T) | { readonly ok: false; readonly error: BlockConfigError };

/** The directives of a file, or the first error that stopped the reading. */
export type BlockConfigResult = ReadResult<{ readonly directives: readonly BlockDirective[] }>;

/**
 * A file with a NUL byte is binary and never read as a config: its error, at the byte's line, or
 * undefined for text. `what` says what the file is not ("a config", "a unit").
 */
export function binaryFileError(
  text: string,
  what = 'a config',
): { readonly ok: false; readonly error: BlockConfigError } | undefined {
  const nul = text.indexOf('\0');
  if (nul === -1) return undefined;
  const line = text.slice(0, nul).split('\n').length;
  return { ok: false, error: { line, message: `this is a binary file (it holds a NUL byte), not ${what}` } };
}

/**
 * How a directive ends: nginx ends each with `;`; keepalived ends each at the end of its line.
 */
export type DirectiveEnd = 'semicolon' | 'newline';

interface Token {
  readonly text: string;
  readonly line: number;
  /** `{`, `}`, `;` and the end of a line; never a quoted string, so `"{"` stays a word. */
  readonly punctuation: boolean;
}

class ReadError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

function tokenize(text: string, end: DirectiveEnd): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let index = 0;
  while (index < text.length) {
    const character = text[index]!;
    if (character === '\n') {
      tokens.push({ text: '\n', line, punctuation: true });
      line += 1;
      index += 1;
    } else if (character === ' ' || character === '\t' || character === '\r') {
      index += 1;
    } else if (character === '#' || (character === '!' && end === 'newline')) {
      // keepalived also takes `!` as a comment; nginx does not (`if (!-f $file)`).
      while (index < text.length && text[index] !== '\n') index += 1;
    } else if (character === '{' || character === '}' || character === ';') {
      tokens.push({ text: character, line, punctuation: true });
      index += 1;
    } else if (character === '"' || character === "'") {
      const startLine = line;
      let value = '';
      index += 1;
      while (index < text.length && text[index] !== character) {
        if (text[index] === '\\' && index + 1 < text.length) {
          index += 1;
        }
        if (text[index] === '\n') line += 1;
        value += text[index];
        index += 1;
      }
      if (index >= text.length) throw new ReadError(startLine, `a quoted string opened here is never closed`);
      index += 1;
      tokens.push({ text: value, line: startLine, punctuation: false });
    } else {
      let value = '';
      while (index < text.length && !/[\s{};"']/.test(text[index]!)) {
        if (text[index] === '\\' && index + 1 < text.length) index += 1;
        value += text[index];
        index += 1;
      }
      tokens.push({ text: value, line, punctuation: false });
    }
  }
  tokens.push({ text: '', line, punctuation: true });
  return tokens;
}

/**
 * Reads `text` as a block config whose directives end as `end` says. A file with a NUL byte is
 * refused as binary; a block or quoted string left open at the end of the file is refused as
 * truncated, with the line where it opened; a `}` without its `{` is refused with its line.
 */
export function parseBlockConfig(text: string, end: DirectiveEnd): BlockConfigResult {
  const binary = binaryFileError(text);
  if (binary) return binary;
  try {
    const tokens = tokenize(text, end);
    let position = 0;
    const readBlock = (openedAt: number | undefined): BlockDirective[] => {
      const directives: BlockDirective[] = [];
      let words: Token[] = [];
      const finish = (): void => {
        if (words.length === 0) return;
        const [first, ...rest] = words;
        directives.push({ name: first!.text, args: rest.map((word) => word.text), line: first!.line });
        words = [];
      };
      for (;;) {
        const token = tokens[position]!;
        position += 1;
        if (!token.punctuation) {
          words.push(token);
        } else if (token.text === '\n') {
          if (end === 'newline') finish();
        } else if (token.text === ';') {
          if (end === 'newline') {
            words.push(token);
          } else if (words.length === 0) {
            throw new ReadError(token.line, 'a `;` with no directive before it');
          } else {
            finish();
          }
        } else if (token.text === '{') {
          if (words.length === 0) throw new ReadError(token.line, 'a `{` with no directive name before it');
          const [first, ...rest] = words;
          words = [];
          const block = readBlock(token.line);
          directives.push({
            name: first!.text,
            args: rest.map((word) => word.text),
            line: first!.line,
            block,
          });
        } else if (token.text === '}') {
          if (openedAt === undefined) throw new ReadError(token.line, 'a `}` that closes no block');
          if (end === 'semicolon' && words.length > 0) {
            throw new ReadError(
              words[0]!.line,
              `the directive \`${words[0]!.text}\` does not end with \`;\``,
            );
          }
          finish();
          return directives;
        } else {
          // The end of the text.
          if (openedAt !== undefined) {
            throw new ReadError(openedAt, 'the block opened here is never closed (is the file truncated?)');
          }
          if (end === 'semicolon' && words.length > 0) {
            throw new ReadError(
              words[0]!.line,
              `the directive \`${words[0]!.text}\` does not end with \`;\` (is the file truncated?)`,
            );
          }
          finish();
          return directives;
        }
      }
    };
    return { ok: true, directives: readBlock(undefined) };
  } catch (error) {
    if (error instanceof ReadError) return { ok: false, error: { line: error.line, message: error.message } };
    throw error;
  }
}
