/**
 * The one definition of a bundle path (core/bundle-path.ts) that the schema, generate and push
 * share: what it accepts (everything generate makes, systemd's unit-name escapes included), what
 * it refuses and in which words.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bundleFolderPathProblem,
  hostFilePathProblem,
  REMOTE_ROOT_PATTERN,
  remoteRootProblem,
} from '../../core/bundle-path';
import { mountUnitName, UNIT_DIRECTORY } from '../../core/generate/systemd/names';
import { ABSOLUTE_PATH_PATTERN } from '../../core/schema/patterns';
import { mountPointProblem } from '../../core/value-checks';

describe('a host file path in a bundle', () => {
  it.each([
    '/etc/haproxy/haproxy.cfg',
    '/etc/redis/sentinel-sentinel-2.conf',
    '/etc/mongod-mongo-1.conf',
    '/etc/systemd/system/mnt-shared\\x2dnfs.mount',
    '/etc/systemd/system/\\x2esecret-srv\\x40a\\x2bb.mount',
    '/opt/app@2/x+y_z.conf',
  ])("accepts '%s'", (path) => {
    expect(hostFilePathProblem(path)).toBeUndefined();
  });

  it.each([
    ['etc/x.conf', 'it is not an absolute path'],
    ['/', 'it names the root directory, not a file'],
    ['/etc/x/', 'it ends with "/"'],
    ['/etc//x.conf', 'it has an empty segment ("//")'],
    ['/etc/./x.conf', 'it has a "." or ".." segment'],
    ['/etc/../shadow', 'it has a "." or ".." segment'],
    [
      '/etc/x y.conf',
      `it holds " ": a bundle path holds only letters, digits, . _ @ + - and systemd's \\xNN escapes`,
    ],
    [
      '/etc/x\\y.conf',
      `it holds "\\\\": a bundle path holds only letters, digits, . _ @ + - and systemd's \\xNN escapes`,
    ],
    [
      '/etc/x\\x2D.mount',
      `it holds "\\\\": a bundle path holds only letters, digits, . _ @ + - and systemd's \\xNN escapes`,
    ],
    [
      '/etc/x\nmode 4777',
      `it holds "\\n": a bundle path holds only letters, digits, . _ @ + - and systemd's \\xNN escapes`,
    ],
    [
      '/etc/$(reboot)',
      `it holds "$": a bundle path holds only letters, digits, . _ @ + - and systemd's \\xNN escapes`,
    ],
    [
      '/etc/a:b.mount',
      `it holds ":": a bundle path holds only letters, digits, . _ @ + - and systemd's \\xNN escapes`,
    ],
    [`/etc/${'a'.repeat(256)}`, 'a name in it is longer than 255 bytes'],
    [`/${'abcdefg/'.repeat(512)}x`, 'it is longer than 4095 characters'],
  ])("refuses '%s': %s", (path, problem) => {
    expect(hostFilePathProblem(path)).toBe(problem);
  });

  it("takes every mount unit generate names for a mount point the design may give (systemd's escapes)", () => {
    const schema = new RegExp(ABSOLUTE_PATH_PATTERN, 'u');
    const segment = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9._@+-]{1,12}$/),
      fc.constantFrom('', '.', '-', '.hidden', 'a-b', 'x@y+z'),
    );
    const mountPoint = fc
      .array(segment, { minLength: 1, maxLength: 6 })
      .map((segments) => `/${segments.join('/')}`)
      .filter(
        (path) =>
          schema.test(path) && mountPointProblem(path) === undefined && path.replace(/[/.]/g, '') !== '',
      );
    fc.assert(
      fc.property(mountPoint, (path) => {
        let name: string;
        try {
          name = mountUnitName(path);
        } catch {
          return; // Too long for a unit name: generate refuses it by name, push never sees it.
        }
        expect(hostFilePathProblem(`${UNIT_DIRECTORY}/${name}`), `${path} → ${name}`).toBeUndefined();
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('a remote root (ssh.root)', () => {
  it('is "/" or a plain path, and every root the design schema takes is one push takes', () => {
    const root = new RegExp(REMOTE_ROOT_PATTERN, 'u');
    expect(remoteRootProblem('/')).toBeUndefined();
    expect(remoteRootProblem('/srv/adv-root')).toBeUndefined();
    expect(remoteRootProblem('/srv//adv-root/')).toBe('it ends with "/"');
    expect(remoteRootProblem('/srv//adv-root')).toBe('it has an empty segment ("//")');
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('/', '.', 'a', '-', '@', '+', '_', '\\', 'x', '2', ' '),
          maxLength: 20,
        }),
        (text) => {
          if (root.test(text)) expect(remoteRootProblem(text), text).toBeUndefined();
          // Whatever the schema refuses, push refuses too, except escapes (never in a design).
          if (remoteRootProblem(text) === undefined && !text.includes('\\'))
            expect(root.test(text), text).toBe(true);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('a file of the bundle folder itself', () => {
  it('is relative and plain', () => {
    expect(bundleFolderPathProblem('README.md')).toBeUndefined();
    expect(bundleFolderPathProblem('scripts/mongodb-rs0-init.js')).toBeUndefined();
    expect(bundleFolderPathProblem('hosts/lb-1/etc/systemd/system/mnt-a\\x2db.mount')).toBeUndefined();
    expect(bundleFolderPathProblem('/README.md')).toBe(
      'it is absolute; a file of the bundle folder is named relative to it',
    );
    expect(bundleFolderPathProblem('hosts/../../x')).toBe('it has a "." or ".." segment');
    expect(bundleFolderPathProblem('')).toBe('it names the root directory, not a file');
  });
});
