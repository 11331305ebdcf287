/**
 * Reads a bundle folder for push (SPEC section 5) and checks everything push relies on before a
 * single connection is made: the manifest's shape, every file present with the sha256 the
 * manifest gives, paths that are absolute and plain, modes and owners that are what they say.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundlePathOf, hostFilePathProblem, remoteRootProblem } from '../../core/bundle-path';
import { describeFileError } from '../../core/file-errors';
import type { FilePolicy, Manifest, ManifestFile } from '../../core/generate/bundle';
import type { Bundle } from '../../core/generate/index';
import type { SerialGroup } from './order';

/** The manifest as push reads it: SPEC section 5; `serial` may be missing from hand-made bundles. */
export type PushManifest = Omit<Manifest, 'serial'> & {
  /**
   * Hosts to push one at a time, in the given order: each voting group (primary last) and the
   * hosts behind each entrypoint, as `buildManifest` writes it.
   */
  serial?: SerialGroup[];
};

/** A host of the bundle, with its SSH settings resolved. */
export interface PushHost {
  id: string;
  address: string;
  port: number;
  user: string;
  /** Path prefix on the remote; `/` for the real paths. */
  root: string;
  sudo: boolean;
  /** Pinned `SHA256:` fingerprint. */
  hostKey?: string;
}

/** A file to push, with its content read from the bundle. */
export interface PushFile {
  host: string;
  /** Absolute path on the host, without `ssh.root`. */
  path: string;
  content: Buffer;
  sha256: string;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  owner?: string;
  check?: string;
  reload?: string;
  policy: FilePolicy;
}

/** A bundle ready to push. */
export interface PushBundle {
  directory: string;
  manifest: PushManifest;
  /** In manifest order. */
  hosts: PushHost[];
  /** Each host's files in manifest order. */
  files: Map<string, PushFile[]>;
}

/** Why a folder cannot be pushed; `path` is the JSON path or file concerned. */
export interface BundleProblem {
  message: string;
  path: string;
}

/** The bundle, or the first reason it cannot be pushed. */
export type BundleLoad = { ok: true; bundle: PushBundle } | { ok: false; problem: BundleProblem };

const ID = /^[a-z][a-z0-9-]{0,62}$/u;
const MODE = /^0?[0-7]{3,4}$/u;
const OWNER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}(?::[A-Za-z_][A-Za-z0-9_.-]{0,31})?$/u;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/u;
const SHA256 = /^[0-9a-f]{64}$/u;
/**
 * Whether `path` is an absolute, normalized path push can safely name in a remote command: the
 * one definition of core/bundle-path.ts, `/` included (a root).
 */
export function isPlainAbsolutePath(path: string): boolean {
  return remoteRootProblem(path) === undefined;
}

class ProblemError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

function fail(path: string, message: string): never {
  throw new ProblemError(message, path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') fail(path, 'expected a non-empty string');
  return value;
}

function readHosts(value: unknown): PushHost[] {
  if (!Array.isArray(value)) fail('$.hosts', 'expected an array of hosts');
  const seen = new Set<string>();
  return value.map((raw, index) => {
    const at = `$.hosts[${index}]`;
    if (!isRecord(raw)) fail(at, 'expected an object');
    const id = raw.id;
    if (typeof id !== 'string' || !ID.test(id)) fail(`${at}.id`, 'expected a design id');
    if (seen.has(id)) fail(`${at}.id`, `host ${id} is listed twice`);
    seen.add(id);
    const address = raw.address;
    if (typeof address !== 'string' || address === '' || /[\s\p{Cc}]/u.test(address))
      fail(`${at}.address`, 'expected an address');
    const ssh = raw.ssh ?? {};
    if (!isRecord(ssh)) fail(`${at}.ssh`, 'expected an object');
    const port = ssh.port ?? 22;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      fail(`${at}.ssh.port`, 'expected a port number');
    const user = optionalString(ssh.user, `${at}.ssh.user`) ?? 'root';
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/u.test(user)) fail(`${at}.ssh.user`, 'expected a user name');
    const root = optionalString(ssh.root, `${at}.ssh.root`) ?? '/';
    const rootProblem = remoteRootProblem(root);
    if (rootProblem !== undefined)
      fail(`${at}.ssh.root`, `host ${id}: ssh.root ${JSON.stringify(root)} cannot be used: ${rootProblem}`);
    const sudo = ssh.sudo ?? false;
    if (typeof sudo !== 'boolean') fail(`${at}.ssh.sudo`, 'expected true or false');
    const hostKey = optionalString(ssh.hostKey, `${at}.ssh.hostKey`);
    if (hostKey !== undefined && !FINGERPRINT.test(hostKey))
      fail(`${at}.ssh.hostKey`, 'expected an OpenSSH fingerprint, SHA256: and 43 base64 characters');
    return { id, address, port, user, root, sudo, ...(hostKey ? { hostKey } : {}) };
  });
}

function readFileEntry(raw: unknown, at: string, hosts: Set<string>): ManifestFile | undefined {
  if (!isRecord(raw)) fail(at, 'expected an object');
  if (raw.host === null || raw.host === undefined) return undefined;
  if (typeof raw.host !== 'string' || !hosts.has(raw.host))
    fail(`${at}.host`, `expected a host of $.hosts, got ${JSON.stringify(raw.host)}`);
  if (typeof raw.path !== 'string') fail(`${at}.path`, 'expected the absolute path of a file on the host');
  const pathProblem = hostFilePathProblem(raw.path);
  if (pathProblem !== undefined)
    fail(
      `${at}.path`,
      `${JSON.stringify(raw.path)} for host ${raw.host} (${at}.path) cannot be pushed: ${pathProblem}`,
    );
  if (typeof raw.sha256 !== 'string' || !SHA256.test(raw.sha256))
    fail(`${at}.sha256`, 'expected a hex sha256');
  if (typeof raw.mode !== 'string' || !MODE.test(raw.mode))
    fail(`${at}.mode`, 'expected octal bits like 0644');
  const owner = optionalString(raw.owner, `${at}.owner`);
  if (owner !== undefined && !OWNER.test(owner)) fail(`${at}.owner`, 'expected user or user:group');
  const check = optionalString(raw.check, `${at}.check`);
  const reload = optionalString(raw.reload, `${at}.reload`);
  const policy = raw.policy ?? 'replace';
  if (policy !== 'replace' && policy !== 'create-only')
    fail(`${at}.policy`, 'expected replace or create-only');
  return {
    host: raw.host,
    path: raw.path,
    sha256: raw.sha256,
    mode: raw.mode,
    ...(owner ? { owner } : {}),
    ...(check ? { check } : {}),
    ...(reload ? { reload } : {}),
    policy,
  };
}

function readSerial(value: unknown, hosts: Set<string>): SerialGroup[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail('$.serial', 'expected an array');
  return value.map((raw, index) => {
    const at = `$.serial[${index}]`;
    if (!isRecord(raw)) fail(at, 'expected an object');
    if (typeof raw.id !== 'string') fail(`${at}.id`, 'expected an id');
    if (raw.kind !== 'group' && raw.kind !== 'entrypoint') fail(`${at}.kind`, 'expected group or entrypoint');
    if (!Array.isArray(raw.hosts) || raw.hosts.some((host) => typeof host !== 'string' || !hosts.has(host)))
      fail(`${at}.hosts`, 'expected host ids of $.hosts');
    return { id: raw.id, kind: raw.kind, hosts: raw.hosts as string[] };
  });
}

/** The manifest's text as JSON, checked; `content` reads a file of the bundle by its bundle path. */
async function readBundle(
  raw: unknown,
  directory: string,
  content: (bundlePath: string) => Promise<Buffer>,
): Promise<PushBundle> {
  if (!isRecord(raw) || raw.format !== 1) fail('$.format', 'expected a Topoforge manifest of format 1');
  if (!isRecord(raw.design) || typeof raw.design.name !== 'string' || typeof raw.design.sha256 !== 'string')
    fail('$.design', 'expected {name, sha256}');
  const hosts = readHosts(raw.hosts);
  const hostIds = new Set(hosts.map((host) => host.id));
  if (!Array.isArray(raw.files)) fail('$.files', 'expected an array of files');
  const entries = raw.files
    .map((file, index) => ({ index, entry: readFileEntry(file, `$.files[${index}]`, hostIds) }))
    .filter((item): item is { index: number; entry: ManifestFile } => item.entry !== undefined);
  const serial = readSerial(raw.serial, hostIds);

  const files = new Map<string, PushFile[]>(hosts.map((host) => [host.id, []]));
  for (const { index, entry } of entries) {
    const host = entry.host!;
    const list = files.get(host)!;
    if (list.some((file) => file.path === entry.path))
      fail(`$.files[${index}].path`, `${entry.path} is listed twice for host ${host}`);
    const bundlePath = bundlePathOf({ host, path: entry.path });
    let bytes: Buffer;
    try {
      bytes = await content(bundlePath);
    } catch (error) {
      fail(bundlePath, `cannot read ${bundlePath}: ${(error as Error).message}`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== entry.sha256)
      fail(
        bundlePath,
        `${bundlePath} does not match its sha256 in the manifest: it was edited after generate`,
      );
    list.push({
      host,
      path: entry.path,
      content: bytes,
      sha256,
      mode: Number.parseInt(entry.mode, 8),
      ...(entry.owner ? { owner: entry.owner } : {}),
      ...(entry.check ? { check: entry.check } : {}),
      ...(entry.reload ? { reload: entry.reload } : {}),
      policy: entry.policy,
    });
  }
  const manifest = { ...(raw as unknown as PushManifest), ...(serial ? { serial } : {}) };
  return { directory, manifest, hosts, files };
}

function asLoad(error: unknown): BundleLoad {
  if (error instanceof ProblemError)
    return { ok: false, problem: { message: error.message, path: error.path } };
  throw error;
}

/** Reads and checks the bundle in `directory`. */
export async function loadPushBundle(directory: string): Promise<BundleLoad> {
  try {
    let text: string;
    try {
      text = await readFile(join(directory, 'manifest.json'), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      fail(
        join(directory, 'manifest.json'),
        code === 'ENOENT' || code === 'ENOTDIR'
          ? `${directory} is not a bundle: it has no manifest.json (write one with topoforge generate)`
          : `cannot read the manifest: ${describeFileError(error)}`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      fail(join(directory, 'manifest.json'), `manifest.json is not JSON: ${(error as Error).message}`);
    }
    const bundle = await readBundle(raw, directory, (bundlePath) => readFile(join(directory, bundlePath)));
    return { ok: true, bundle };
  } catch (error) {
    return asLoad(error);
  }
}

/**
 * A bundle generated in memory (core/generate), checked exactly as {@link loadPushBundle} checks
 * one on disk; `label` stands in for its folder in messages. The desktop app pushes this way.
 */
export async function pushBundleOf(generated: Bundle, label: string): Promise<BundleLoad> {
  const contents = new Map(
    generated.files
      .filter((file) => file.host !== undefined)
      .map((file) => [
        bundlePathOf({ host: file.host!, path: file.path }),
        Buffer.from(file.content, 'utf8'),
      ]),
  );
  try {
    const raw: unknown = JSON.parse(JSON.stringify(generated.manifest));
    const bundle = await readBundle(raw, label, async (bundlePath) => {
      const bytes = contents.get(bundlePath);
      if (bytes === undefined) throw new Error('the generated bundle has no such file');
      return bytes;
    });
    return { ok: true, bundle };
  } catch (error) {
    return asLoad(error);
  }
}
