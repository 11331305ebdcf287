import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  formatKnownHostsLine,
  hostsFieldMatches,
  judgeHostKey,
  KnownHosts,
  knownHostsName,
  parseKnownHosts,
} from '../../deploy/push/known-hosts';
import { fingerprintOf as labFingerprintOf, generateKey, requireSshd } from '../lab/sshd';

const scratch = mkdtempSync(join(tmpdir(), 'topoforge-known-hosts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let keyCount = 0;
function newKey(): { line: string; blob: Buffer } {
  keyCount += 1;
  const line = generateKey(join(scratch, `key-${keyCount}`));
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64') };
}

describe.skipIf(!requireSshd())('known_hosts', () => {
  const first = newKey();
  const second = newKey();

  it('prints fingerprints exactly as ssh-keygen -l does', () => {
    const printed = execFileSync('ssh-keygen', ['-l', '-f', join(scratch, 'key-1.pub')], {
      encoding: 'utf8',
    });
    expect(printed.split(' ')[1]).toBe(fingerprintOf(first.blob));
    expect(labFingerprintOf(first.line)).toBe(fingerprintOf(first.blob));
  });

  it('looks up [host]:port for non-standard ports and the bare host on port 22', () => {
    expect(knownHostsName('Example.COM', 22)).toBe('example.com');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
    const { entries } = parseKnownHosts(
      `[10.0.0.1]:2222 ${first.line}\n10.0.0.1 ${second.line}\n`,
      'known_hosts',
    );
    expect(judgeHostKey(entries, '[10.0.0.1]:2222', first.blob).status).toBe('known');
    expect(judgeHostKey(entries, '10.0.0.1', second.blob).status).toBe('known');
    expect(judgeHostKey(entries, '[10.0.0.1]:2222', second.blob).status).toBe('changed');
    expect(judgeHostKey(entries, '[10.0.0.1]:2200', first.blob).status).toBe('unknown');
  });

  it('matches patterns with wildcards, lists and negation as OpenSSH does', () => {
    expect(hostsFieldMatches('db-*.example.com,10.0.0.?', 'db-1.example.com')).toBe(true);
    expect(hostsFieldMatches('db-*.example.com,10.0.0.?', '10.0.0.7')).toBe(true);
    expect(hostsFieldMatches('db-*.example.com,10.0.0.?', '10.0.0.17')).toBe(false);
    expect(hostsFieldMatches('*.example.com,!secret.example.com', 'secret.example.com')).toBe(false);
    expect(hostsFieldMatches('*.example.com,!secret.example.com', 'web.example.com')).toBe(true);
    expect(hostsFieldMatches('[*]:2222', '[10.1.2.3]:2222')).toBe(true);
    expect(hostsFieldMatches('DB.Example.com', 'db.example.com')).toBe(true);
  });

  it('refuses a revoked key wherever it is listed, and ignores certificate authorities', () => {
    const { entries } = parseKnownHosts(
      `@revoked * ${first.line}\n@cert-authority *.example.com ${second.line}\n`,
      'known_hosts',
    );
    expect(judgeHostKey(entries, 'anything', first.blob).status).toBe('revoked');
    expect(judgeHostKey(entries, 'web.example.com', second.blob).status).toBe('unknown');
  });

  it('reports unreadable lines and keeps the good ones', () => {
    const { entries, problems } = parseKnownHosts(
      `# comment\n\nbroken-line\nhost ssh-rsa not*base64\nhost ssh-rsa ${first.line.split(' ')[1]}\n@bogus h ${first.line}\nok ${first.line}\n`,
      'kh',
    );
    expect(entries.map((entry) => entry.source)).toEqual(['kh:7']);
    expect(problems.map((problem) => problem.source)).toEqual(['kh:3', 'kh:4', 'kh:5', 'kh:6']);
  });

  it('reads hashed entries written by ssh-keygen -H, and writes hashed ones ssh-keygen -F finds', async () => {
    const file = join(scratch, 'hashed');
    writeFileSync(file, `[127.0.0.1]:2201 ${first.line}\nweb.example.com ${second.line}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'pipe' });
    const hashedText = readFileSync(file, 'utf8');
    expect(hashedText).not.toContain('127.0.0.1');
    const store = await KnownHosts.load({ read: [file], write: file });
    expect(store.judge('127.0.0.1', 2201, first.blob).status).toBe('known');
    expect(store.judge('WEB.example.com', 22, second.blob).status).toBe('known');
    expect(store.judge('127.0.0.1', 2201, second.blob).status).toBe('changed');

    await store.add('10.9.8.7', 2022, second.blob);
    const found = execFileSync('ssh-keygen', ['-F', '[10.9.8.7]:2022', '-f', file], { encoding: 'utf8' });
    expect(found).toContain(second.line.split(' ')[1]);
    const reloaded = await KnownHosts.load({ read: [file], write: file });
    expect(reloaded.judge('10.9.8.7', 2022, second.blob).status).toBe('known');
    expect(formatKnownHostsLine('h', first.blob, { hash: false })).toBe(
      `h ${first.line.split(' ').slice(0, 2).join(' ')}`,
    );
  });

  it('creates a missing known_hosts file privately and its folder', async () => {
    const file = join(scratch, 'new-home', '.ssh', 'known_hosts');
    const store = await KnownHosts.load({ read: [file], write: file });
    expect(store.judge('h', 22, first.blob).status).toBe('unknown');
    await Promise.all([store.add('a', 22, first.blob), store.add('b', 22, second.blob)]);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(execFileSync('stat', ['-c', '%a', file], { encoding: 'utf8' }).trim()).toBe('600');
    expect(
      execFileSync('stat', ['-c', '%a', join(scratch, 'new-home', '.ssh')], { encoding: 'utf8' }).trim(),
    ).toBe('700');
  });
});
