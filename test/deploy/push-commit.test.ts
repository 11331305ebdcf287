/**
 * The commit script (deploy/push/remote.ts) run directly on a lab host, once with its perl helper
 * and once with the coreutils fallback that hosts without perl get: success, a rename that fails
 * halfway, and a reload that fails.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prepareCredentials, SshConnection } from '../../deploy/push/connection';
import {
  backupPathOf,
  commitScript,
  CommitReader,
  lockPathsOf,
  newMarker,
  scriptCommand,
  temporaryPathOf,
} from '../../deploy/push/remote';
import type { CommitFile, CommitOutcome } from '../../deploy/push/remote';
import { requireSshd, startSshLab } from '../lab/sshd';
import type { SshLab, SshLabHost } from '../lab/sshd';

let lab: SshLab;
let host: SshLabHost;
let connection: SshConnection;

beforeAll(async () => {
  if (!requireSshd()) return;
  lab = await startSshLab({ hosts: ['commit-host'] });
  host = lab.hosts[0]!;
  connection = await SshConnection.open({
    address: host.address,
    port: host.port,
    user: 'root',
    credentials: await prepareCredentials({ identityFile: lab.identityFile }),
    preferredKeyTypes: [],
    verifyHostKey: async () => true,
  });
});

afterAll(async () => {
  connection?.close();
  await lab?.stop();
});

beforeEach(() => lab?.reset());

function put(path: string, content: string): void {
  mkdirSync(dirname(join(host.root, path)), { recursive: true });
  writeFileSync(join(host.root, path), content);
}

function read(path: string): string | undefined {
  const full = join(host.root, path);
  return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
}

/** The run id of the commits here: it names their temporary and backup files. */
const RUN = 'c0ffee';
/** The lock token the commits run under; {@link commit} lays the lock out as the lock script would. */
const TOKEN = 'commit-test-token';

/** Lays out three files as an upload leaves them: an update, a create, and a create-only. */
function stage(): CommitFile[] {
  put('etc/a.conf', 'a old\n');
  put(`etc/.a.conf.topoforge-new-${RUN}`, 'a new\n');
  put(`etc/new/.b.conf.topoforge-new-${RUN}`, 'b new\n');
  put('etc/state.conf', 'learned\n');
  put(`etc/.state.conf.topoforge-new-${RUN}`, 'state generated\n');
  return ['etc/a.conf', 'etc/new/b.conf', 'etc/state.conf'].map((path) => {
    const destination = join(host.root, path);
    return {
      destination,
      temporary: temporaryPathOf(destination, RUN),
      backup: backupPathOf(destination, RUN),
      mode: '0644',
      check: `test -s ${temporaryPathOf(destination, RUN)}`,
      createOnly: path === 'etc/state.conf',
    };
  });
}

async function commit(
  files: CommitFile[],
  replaceWith: 'auto' | 'coreutils',
  reloads: string[] = [],
): Promise<CommitOutcome> {
  const marker = newMarker();
  const reader = new CommitReader(marker, () => undefined);
  const lock = lockPathsOf(host.root);
  mkdirSync(lock.parent, { recursive: true });
  writeFileSync(lock.file, `${TOKEN}\n${process.pid} 0 boot\n{}\n`);
  const script = commitScript(marker, {
    files,
    lock,
    token: TOKEN,
    createDirectories: [],
    createdDirectories: [join(host.root, 'etc/new')],
    reloads,
    commandTimeoutSeconds: 20,
    replaceWith,
  });
  await connection.exec(scriptCommand(false), script, { onLine: (line) => reader.line(line) });
  return reader.outcome;
}

function temporaries(): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(directory, entry.name));
      else if (entry.name.includes('.topoforge-new')) found.push(entry.name);
    }
  };
  walk(host.root);
  return found;
}

describe.skipIf(!requireSshd()).each(['auto', 'coreutils'] as const)(
  'the commit script (%s)',
  (replaceWith) => {
    it('backs up, replaces, keeps a create-only file, and leaves no temporary file', async () => {
      const outcome = await commit(stage(), replaceWith);
      expect(outcome).toMatchObject({ ended: true, replaced: true, failures: [], backedUp: [0], kept: [2] });
      expect(read('etc/a.conf')).toBe('a new\n');
      expect(read(`etc/.a.conf.topoforge-backup-${RUN}`)).toBe('a old\n');
      expect(read('etc/new/b.conf')).toBe('b new\n');
      expect(read('etc/state.conf')).toBe('learned\n');
      expect(temporaries()).toEqual([]);
    });

    it('restores every file when the third cannot be replaced', async () => {
      const files = stage();
      // The third destination became a folder: it can be neither backed up nor replaced, after two files are done.
      rmSync(join(host.root, 'etc/state.conf'));
      mkdirSync(join(host.root, 'etc/state.conf/inside'), { recursive: true });
      files[2] = { ...files[2]!, createOnly: false };
      const outcome = await commit(files, replaceWith);
      expect(outcome.ended).toBe(true);
      expect(outcome.replaced).toBe(false);
      expect(outcome.failures).toMatchObject([{ what: 'backup', file: 2 }]);
      expect(outcome.failures[0]!.output).not.toBe('');
      expect(read('etc/a.conf')).toBe('a old\n');
      expect(existsSync(join(host.root, 'etc/new'))).toBe(false);
      expect(existsSync(join(host.root, 'etc/state.conf/inside'))).toBe(true);
      expect(temporaries()).toEqual([]);
    });

    it('restores and reloads again when a reload fails', async () => {
      const log = join(host.directory, `reload-${replaceWith}.log`);
      const outcome = await commit(stage(), replaceWith, [
        `echo first >> ${log}`,
        `echo second >> ${log}; grep -q old ${join(host.root, 'etc/a.conf')}`,
        `echo third >> ${log}`,
      ]);
      expect(outcome.restored).toBe(true);
      expect(outcome.reloads.map((reload) => [reload.index, reload.ok, reload.again])).toEqual([
        [0, true, false],
        [1, false, false],
        [0, true, true],
        [1, true, true],
      ]);
      expect(readFileSync(log, 'utf8')).toBe('first\nsecond\nfirst\nsecond\n');
      expect(read('etc/a.conf')).toBe('a old\n');
      expect(read('etc/state.conf')).toBe('learned\n');
      expect(existsSync(join(host.root, 'etc/new'))).toBe(false);
      expect(temporaries()).toEqual([]);
    });
  },
);
