import { createHash } from 'node:crypto';

/** Native SHA-256 of a text's UTF-8 bytes, hex: what Node callers pass to generateBundle. */
export function nodeSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
