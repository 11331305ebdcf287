/**
 * Quoting for the POSIX shell: the one definition every command line of the project goes through,
 * the check and reload commands in the manifest as much as the scripts push runs on a host.
 */

/**
 * Characters a word may hold and still be read as itself by `sh`, dash and bash alike: no
 * globbing, expansion, tilde, brace, quote or separator character.
 */
const PLAIN_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/u;

/**
 * Quotes one word for a POSIX shell: bare when it is plain (so `systemctl reload nginx` reads as
 * written), else single-quoted. `{}`, the placeholder of a check command, stays bare: an empty
 * pair of braces is never a brace expansion, not even in bash.
 */
export function shellQuote(word: string): string {
  if (word !== '' && PLAIN_WORD.test(word.replaceAll('{}', '_'))) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line from its words, each quoted by {@link shellQuote}. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
