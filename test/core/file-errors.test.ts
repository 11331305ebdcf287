import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { describeFileError } from '../../core/file-errors';

/** The error Node gives for reading `path`. */
async function readError(path: string): Promise<unknown> {
  return readFile(path).then(
    () => expect.unreachable(`${path} was readable`),
    (error: unknown) => error,
  );
}

describe('describeFileError', () => {
  it('words the errors people meet without their errno code', async () => {
    expect(describeFileError(await readError('/nonexistent/design.topo.json'))).toBe('no such file');
    expect(describeFileError(await readError('/'))).toBe('it is a folder, not a file');
    expect(describeFileError(await readError('/etc/hostname/child'))).toBe(
      'a part of the path is a file, not a folder',
    );
  });

  it("keeps an unknown error's own words, less Node's code prefix and path suffix", () => {
    const error = Object.assign(new Error("EXDEV: cross-device link not permitted, rename '/a' -> '/b'"), {
      code: 'EXDEV',
    });
    expect(describeFileError(error)).toBe('cross-device link not permitted');
    expect(describeFileError(new Error('the stream ended early'))).toBe('the stream ended early');
  });
});
