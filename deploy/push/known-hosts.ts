/**
 * OpenSSH known_hosts files (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): reading, matching a server's
 * key against them, and recording a newly accepted key.
 *
 * No npm package handles the whole format with upkeep behind it (the candidates are single-release
 * or do not read hashed names), and the format is small, so this is a careful parser of it:
 * comma-separated host patterns with `*`, `?` and `!` negation, `[host]:port` for non-standard
 * ports, hashed names (`|1|salt|HMAC-SHA1`), and the `@revoked` and `@cert-authority` markers.
 * Certificate authorities are read but never trusted: ssh2 does not verify host certificates.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { dirname } from 'node:path';

/** One usable line of a known_hosts file. */
export interface KnownHostsEntry {
  marker: 'revoked' | 'cert-authority' | undefined;
  /** The host patterns, or the hashed name, as written. */
  hosts: string;
  keyType: string;
  /** The raw public key blob. */
  key: Buffer;
  /** Where it came from, for messages: `FILE:LINE`. */
  source: string;
}

/** A line that could not be read; OpenSSH skips such lines too. */
export interface KnownHostsProblem {
  source: string;
  message: string;
}

/** What known_hosts says about a server's key. */
export type KnownHostsVerdict =
  | { status: 'known'; source: string }
  | { status: 'unknown' }
  /** The host is listed with other keys: the server's key changed, or someone is in between. */
  | { status: 'changed'; sources: string[]; knownTypes: string[] }
  | { status: 'revoked'; source: string };

/** The file operations the store needs; tests inject failures through it. */
export interface KnownHostsFileSystem {
  readFile(path: string): Promise<string>;
  appendFile(path: string, text: string): Promise<void>;
  mkdir(path: string): Promise<void>;
}

/** The machine's file system; a new known_hosts file is private to its owner, like `~/.ssh`. */
export const nodeKnownHostsFileSystem: KnownHostsFileSystem = {
  readFile: (path) => nodeFs.readFile(path, 'utf8'),
  appendFile: (path, text) => nodeFs.appendFile(path, text, { mode: 0o600 }),
  mkdir: async (path) => void (await nodeFs.mkdir(path, { recursive: true, mode: 0o700 })),
};

/** `SHA256:…` fingerprint of a raw public key blob, exactly as OpenSSH prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/u, '')}`;
}

/** The key type named inside a raw public key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const length = key.readUInt32BE(0);
  return length > 0 && length <= 64 && key.length >= 4 + length
    ? key.subarray(4, 4 + length).toString('latin1')
    : 'unknown';
}

/** The name OpenSSH looks a server up by: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/u;

/** Parses known_hosts text; unreadable lines come back as problems and are otherwise ignored. */
export function parseKnownHosts(
  text: string,
  file: string,
): { entries: KnownHostsEntry[]; problems: KnownHostsProblem[] } {
  const entries: KnownHostsEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  text.split(/\r?\n/u).forEach((raw, index) => {
    const source = `${file}:${index + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/[ \t]+/u);
    let marker: KnownHostsEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push({ source, message: `unknown marker ${name}` });
        return;
      }
    }
    const [hosts, keyType, body] = fields;
    if (hosts === undefined || keyType === undefined || body === undefined || !BASE64.test(body)) {
      problems.push({ source, message: 'expected: [marker] hosts key-type base64-key [comment]' });
      return;
    }
    const key = Buffer.from(body, 'base64');
    if (keyTypeOf(key) !== keyType) {
      problems.push({ source, message: `the key is not of type ${keyType}` });
      return;
    }
    entries.push({ marker, hosts, keyType, key, source });
  });
  return { entries, problems };
}

/** OpenSSH's `match_pattern`: `*` is any run of characters, `?` one character; case-insensitive. */
function matchesWildcard(name: string, pattern: string): boolean {
  const text = name.toLowerCase();
  const glob = pattern.toLowerCase();
  let t = 0;
  let g = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === '?' || glob[g] === text[t])) {
      t += 1;
      g += 1;
    } else if (g < glob.length && glob[g] === '*') {
      starAt = g;
      resumeAt = t;
      g += 1;
    } else if (starAt !== -1) {
      g = starAt + 1;
      resumeAt += 1;
      t = resumeAt;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g += 1;
  return g === glob.length;
}

function matchesHashed(name: string, hashed: string): boolean {
  const [, magic, salt, hash] = hashed.split('|');
  if (magic !== '1' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether an entry's host field names `name` (`host` or `[host]:port`), as OpenSSH decides it. */
export function hostsFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return matchesHashed(name, hosts);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (matchesWildcard(name, pattern.slice(1))) return false;
    } else if (matchesWildcard(name, pattern)) {
      matched = true;
    }
  }
  return matched;
}

/** A hashed known_hosts line for `name`, as `ssh-keyscan -H` and `HashKnownHosts yes` write it. */
export function formatKnownHostsLine(name: string, key: Buffer, options: { hash?: boolean } = {}): string {
  const field =
    options.hash === false
      ? name
      : (() => {
          const salt = randomBytes(20);
          const hash = createHmac('sha1', salt).update(name).digest();
          return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
        })();
  return `${field} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/**
 * Decides what `entries` say about `key` presented by `name`. A revoked key is refused wherever it
 * is listed. A host listed only with keys of other types counts as changed, stricter than OpenSSH
 * (which offers to add the new type): push prefers the types it knows (see
 * {@link KnownHosts.knownKeyTypes}), so a server that no longer offers them has changed.
 */
export function judgeHostKey(
  entries: readonly KnownHostsEntry[],
  name: string,
  key: Buffer,
): KnownHostsVerdict {
  const revoked = entries.find((entry) => entry.marker === 'revoked' && entry.key.equals(key));
  if (revoked) return { status: 'revoked', source: revoked.source };
  const listed = entries.filter(
    (entry) => entry.marker === undefined && hostsFieldMatches(entry.hosts, name),
  );
  const same = listed.find((entry) => entry.key.equals(key));
  if (same) return { status: 'known', source: same.source };
  if (listed.length === 0) return { status: 'unknown' };
  return {
    status: 'changed',
    sources: listed.map((entry) => entry.source),
    knownTypes: [...new Set(listed.map((entry) => entry.keyType))],
  };
}

/** Where known host keys are read from and where newly accepted ones are recorded. */
export interface KnownHostsFiles {
  /** Read in this order; a missing file is empty. */
  read: string[];
  /** New keys are appended here (created with mode 0600, its folder 0700). */
  write: string;
  /** Record host names hashed, as Debian's default `HashKnownHosts yes` does; default true. */
  hashNames?: boolean;
}

/** The known_hosts files of one push: read once, appended to as keys are accepted. */
export class KnownHosts {
  private appending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly entries: KnownHostsEntry[],
    /** Lines that could not be read, for a warning. */
    readonly problems: KnownHostsProblem[],
    private readonly files: KnownHostsFiles,
    private readonly fileSystem: KnownHostsFileSystem,
  ) {}

  /** Reads `files.read`; a file that exists but cannot be read is an error. */
  static async load(
    files: KnownHostsFiles,
    fileSystem: KnownHostsFileSystem = nodeKnownHostsFileSystem,
  ): Promise<KnownHosts> {
    const entries: KnownHostsEntry[] = [];
    const problems: KnownHostsProblem[] = [];
    for (const file of files.read) {
      let text: string;
      try {
        text = await fileSystem.readFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new Error(`cannot read ${file}: ${(error as Error).message}`);
      }
      const parsed = parseKnownHosts(text, file);
      entries.push(...parsed.entries);
      problems.push(...parsed.problems);
    }
    return new KnownHosts(entries, problems, files, fileSystem);
  }

  /** What the files say about `key` presented by `host:port`. */
  judge(host: string, port: number, key: Buffer): KnownHostsVerdict {
    return judgeHostKey(this.entries, knownHostsName(host, port), key);
  }

  /** Key types recorded for `host:port`, so the connection can ask the server for one of them. */
  knownKeyTypes(host: string, port: number): string[] {
    const name = knownHostsName(host, port);
    return [
      ...new Set(
        this.entries
          .filter((entry) => entry.marker === undefined && hostsFieldMatches(entry.hosts, name))
          .map((entry) => entry.keyType),
      ),
    ];
  }

  /** Trusts `key` for `host:port` for the rest of this push, without writing it anywhere. */
  trust(host: string, port: number, key: Buffer): void {
    this.entries.push({
      marker: undefined,
      hosts: knownHostsName(host, port),
      keyType: keyTypeOf(key),
      key,
      source: this.files.write,
    });
  }

  /**
   * Trusts `key` for `host:port` from now on and appends it to the write file (appends are
   * serialized). The key stays trusted for this push even if the file cannot be written.
   */
  add(host: string, port: number, key: Buffer): Promise<void> {
    const name = knownHostsName(host, port);
    const line = formatKnownHostsLine(name, key, { hash: this.files.hashNames !== false });
    this.trust(host, port, key);
    const next = this.appending.then(async () => {
      await this.fileSystem.mkdir(dirname(this.files.write));
      let prefix = '';
      try {
        const current = await this.fileSystem.readFile(this.files.write);
        if (current !== '' && !current.endsWith('\n')) prefix = '\n';
      } catch {
        // A missing file is created by the append.
      }
      await this.fileSystem.appendFile(this.files.write, `${prefix}${line}\n`);
    });
    this.appending = next.catch(() => undefined);
    return next;
  }
}
