/**
 * Reads a bundle folder for push (docs/bundle.md) and checks everything push relies on before a
 * single connection is made: the manifest against its JSON schema, every file present with the
 * sha256 the manifest gives, paths that are absolute and plain, and every file against the daemon
 * catalogue (core/daemons.ts): the mode, owner, path, check and reload that push would use as root
 * must be ones the generators produce. A hand-made manifest can still be pushed when the person
 * vouches for it by its digest, which covers every command, mode, owner and path in it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { matchCatalogue } from '../../core/daemons';
import type { CommandWords, DaemonName } from '../../core/daemons';
import { bundlePathOf, hostFilePathProblem, remoteRootProblem } from '../../core/bundle-path';
import { describeFileError } from '../../core/file-errors';
import type { FilePolicy, Manifest, ManifestFile } from '../../core/generate/bundle';
import type { Bundle } from '../../core/generate/index';
import { formatPath } from '../../core/json-path';
import type { PathSegment } from '../../core/json-path';
import { translateSchemaErrors } from '../../core/load';
import validateManifest from '../../core/schema/generated/validate-manifest.js';
import { matchSecretCatalogue } from '../secrets/catalogue';
import { SecretManifestError, readSecretFiles } from '../secrets/uploads';
import type { SerialGroup } from './order';

/** The manifest as push reads it: docs/bundle.md; `serial` may be missing from hand-made bundles. */
export type PushManifest = Omit<Manifest, 'serial' | 'bundleFiles' | 'prerequisites'> & {
  /** What each host must have (core/prerequisites.ts); missing from older and hand-made bundles. */
  prerequisites?: Manifest['prerequisites'];
  /**
   * Hosts to push one at a time, in the given order: each voting group (primary last) and the
   * hosts behind each entrypoint, as `buildManifest` writes it.
   */
  serial?: SerialGroup[];
  bundleFiles?: Manifest['bundleFiles'];
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
  /** The catalogue's descriptor of the file, when it has one. */
  daemon?: DaemonName;
  /**
   * The catalogue's check as words (`{}` stands for the file checked): push builds the command it
   * runs from these, never from the manifest's text.
   */
  checkWords?: CommandWords;
  /**
   * A secret file, rendered from the secret store (deploy/secrets): never diffed, logged or
   * reported by content, and owned by root (0600) while its owner does not exist on the host.
   */
  secret?: true;
}

/** What push knows about where the manifest's commands, modes, owners and paths come from. */
export interface ManifestTrust {
  /**
   * `sha256:` and the hex SHA-256 of every host's root and sudo and every file's host, path, mode,
   * owner, check, reload and policy: what a person vouches for with `--manifest-digest`.
   */
  digest: string;
  /** Entries the catalogue does not know, with the field that differs; none for a generated bundle. */
  unknown: BundleProblem[];
  /** The person gave the digest and it matches: the unknown entries may be pushed. */
  vouched: boolean;
}

/** A bundle ready to push. */
export interface PushBundle {
  directory: string;
  manifest: PushManifest;
  /** In manifest order. */
  hosts: PushHost[];
  /** Each host's files in manifest order. */
  files: Map<string, PushFile[]>;
  trust: ManifestTrust;
}

/** Why a folder cannot be pushed; `path` is the JSON path or file concerned. */
export interface BundleProblem {
  message: string;
  path: string;
}

/** The bundle, or the first reason it cannot be pushed. */
export type BundleLoad = { ok: true; bundle: PushBundle } | { ok: false; problem: BundleProblem };

/** How to read a bundle. */
export interface BundleOptions {
  /**
   * The manifest's digest as the person reviewed it (`--manifest-digest`): lets files the
   * catalogue does not know be pushed, and refuses a manifest whose digest differs.
   */
  manifestDigest?: string;
}

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

/** `$.files[3].mode`, the JSON path push's messages use. */
function jsonPath(segments: PathSegment[]): string {
  return segments.length === 0 ? '$' : `$.${formatPath(segments)}`;
}

/** The manifest as the schema guarantees it (core/schema/manifest-schema.ts). */
interface RawManifest {
  format: 1;
  design: { name: string; sha256: string };
  hosts: (Omit<Manifest['hosts'][number], 'ssh'> & { ssh?: Partial<Manifest['hosts'][number]['ssh']> })[];
  /** Older manifests listed the bundle's own files here, without a host, and no policy. */
  files: (Omit<ManifestFile, 'host' | 'policy'> & { host?: string | null; policy?: FilePolicy })[];
  bundleFiles?: Manifest['bundleFiles'];
  secrets?: Manifest['secrets'];
  serial?: SerialGroup[];
  prerequisites?: Manifest['prerequisites'];
}

/** Checks the manifest against its schema; the first problem names the field. */
function checkSchema(raw: unknown): RawManifest {
  if (validateManifest(raw)) return raw as RawManifest;
  const problems = translateSchemaErrors(validateManifest.errors ?? []);
  const first = problems[0];
  if (first === undefined) fail('$', 'the manifest does not match its schema');
  fail(jsonPath(first.segments), first.message);
}

function readHosts(raw: RawManifest): PushHost[] {
  const seen = new Set<string>();
  return raw.hosts.map((host, index) => {
    const at = `$.hosts[${index}]`;
    if (seen.has(host.id)) fail(`${at}.id`, `host ${host.id} is listed twice`);
    seen.add(host.id);
    const ssh = host.ssh ?? {};
    const root = ssh.root ?? '/';
    const rootProblem = remoteRootProblem(root);
    if (rootProblem !== undefined)
      fail(
        `${at}.ssh.root`,
        `host ${host.id}: ssh.root ${JSON.stringify(root)} cannot be used: ${rootProblem}`,
      );
    return {
      id: host.id,
      address: host.address,
      port: ssh.port ?? 22,
      user: ssh.user ?? 'root',
      root,
      sudo: ssh.sudo ?? false,
      ...(ssh.hostKey ? { hostKey: ssh.hostKey } : {}),
    };
  });
}

/**
 * The manifest's digest: every host's root and sudo, every host file's host, path, mode, owner,
 * check, reload and policy, and every secret file's host, path, owner, mode, reload and rendering,
 * as canonical JSON. Contents are not in it: their sha256 is checked
 * against the files, and a config's content is the real tool's check to judge.
 */
export function manifestDigest(manifest: Pick<RawManifest, 'hosts' | 'files' | 'secrets'>): string {
  // Secret files (described, never with a value) count where a manifest has them: their path,
  // owner, mode and reload say what push would do on the host just as a file's do.
  const secrets = (manifest.secrets ?? []).map((file) => [
    file.host,
    file.path,
    file.owner,
    file.mode,
    file.reload,
    file.render,
  ]);
  const text = JSON.stringify({
    hosts: manifest.hosts.map((host) => [host.id, host.ssh?.root ?? '/', host.ssh?.sudo ?? false]),
    files: manifest.files
      .filter((file) => file.host !== undefined && file.host !== null)
      .map((file) => [
        file.host,
        file.path,
        file.mode.replace(/^0*/u, '').padStart(4, '0'),
        file.owner ?? null,
        file.check ?? null,
        file.reload ?? null,
        file.policy ?? 'replace',
      ]),
    ...(secrets.length > 0 ? { secrets } : {}),
  });
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** The manifest's text as JSON, checked; `content` reads a file of the bundle by its bundle path. */
async function readBundle(
  value: unknown,
  directory: string,
  content: (bundlePath: string) => Promise<Buffer>,
  options: BundleOptions,
): Promise<PushBundle> {
  const raw = checkSchema(value);
  const hosts = readHosts(raw);
  const hostIds = new Set(hosts.map((host) => host.id));
  raw.serial?.forEach((group, index) =>
    group.hosts.forEach((host, position) => {
      if (!hostIds.has(host))
        fail(`$.serial[${index}].hosts[${position}]`, `${host} is not a host of $.hosts`);
    }),
  );

  const digest = manifestDigest(raw);
  if (options.manifestDigest !== undefined && options.manifestDigest !== digest)
    fail(
      '--manifest-digest',
      `the manifest's digest is ${digest}, not the ${options.manifestDigest} given: a command, mode, owner ` +
        'or path in it is not what was reviewed',
    );
  const unknown: BundleProblem[] = [];
  const files = new Map<string, PushFile[]>(hosts.map((host) => [host.id, []]));
  for (const [index, entry] of raw.files.entries()) {
    const at = `$.files[${index}]`;
    if (entry.host === undefined || entry.host === null) continue;
    const host = entry.host;
    if (!hostIds.has(host)) fail(`${at}.host`, `${host} is not a host of $.hosts`);
    const pathProblem = hostFilePathProblem(entry.path);
    if (pathProblem !== undefined)
      fail(
        `${at}.path`,
        `${JSON.stringify(entry.path)} for host ${host} (${at}.path) cannot be pushed: ${pathProblem}`,
      );
    const list = files.get(host)!;
    if (list.some((file) => file.path === entry.path))
      fail(`${at}.path`, `${entry.path} is listed twice for host ${host}`);
    const policy = entry.policy ?? 'replace';
    const match = matchCatalogue({ ...entry, policy });
    if (!match.ok) unknown.push({ path: `${at}.${match.problem.field}`, message: match.problem.message });

    const bundlePath = bundlePathOf({ host, path: entry.path });
    let bytes: Buffer;
    try {
      bytes = await content(bundlePath);
    } catch (error) {
      fail(bundlePath, `cannot read ${bundlePath}: ${describeFileError(error)}`);
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
      policy,
      ...(match.ok ? { daemon: match.daemon.name, ...(match.check ? { checkWords: match.check } : {}) } : {}),
    });
  }
  checkSecretFiles(raw, hostIds, files, unknown);
  const manifest: PushManifest = {
    format: 1,
    design: raw.design,
    hosts: raw.hosts.map((host, index) => ({
      id: host.id,
      address: host.address,
      ssh: {
        user: hosts[index]!.user,
        port: hosts[index]!.port,
        root: hosts[index]!.root,
        sudo: hosts[index]!.sudo,
        ...(host.ssh?.hostKey ? { hostKey: host.ssh.hostKey } : {}),
      },
    })),
    files: raw.files.flatMap((file) =>
      file.host === undefined || file.host === null
        ? []
        : [
            {
              host: file.host,
              path: file.path,
              sha256: file.sha256,
              mode: file.mode,
              ...(file.owner ? { owner: file.owner } : {}),
              ...(file.check ? { check: file.check } : {}),
              ...(file.reload ? { reload: file.reload } : {}),
              policy: file.policy ?? 'replace',
            },
          ],
    ),
    ...(raw.bundleFiles ? { bundleFiles: raw.bundleFiles } : {}),
    secrets: raw.secrets ?? [],
    ...(raw.serial ? { serial: raw.serial } : {}),
    ...(raw.prerequisites ? { prerequisites: raw.prerequisites } : {}),
  };
  return {
    directory,
    manifest,
    hosts,
    files,
    trust: { digest, unknown, vouched: options.manifestDigest === digest },
  };
}

/**
 * The manifest's secret files, read as push renders them: one that shares a path with a bundle
 * file is refused, and one whose path, owner, mode or reload the catalogue does not give is
 * unknown, like a bundle file's (deploy/secrets/catalogue.ts).
 */
function checkSecretFiles(
  raw: RawManifest,
  hostIds: ReadonlySet<string>,
  files: ReadonlyMap<string, PushFile[]>,
  unknown: BundleProblem[],
): void {
  let secretFiles;
  try {
    secretFiles = readSecretFiles(raw.secrets, hostIds);
  } catch (error) {
    if (error instanceof SecretManifestError) fail(error.path, error.message);
    throw error;
  }
  for (const [index, file] of secretFiles.entries()) {
    const at = `$.secrets[${index}]`;
    if ((files.get(file.host) ?? []).some((candidate) => candidate.path === file.path))
      fail(`${at}.path`, `${file.path} for host ${file.host} is both a bundle file and a secret file`);
    const problem = matchSecretCatalogue(file);
    if (problem !== undefined) unknown.push({ path: `${at}.${problem.field}`, message: problem.message });
  }
}

function asLoad(error: unknown): BundleLoad {
  if (error instanceof ProblemError)
    return { ok: false, problem: { message: error.message, path: error.path } };
  throw error;
}

/** Reads and checks the bundle in `directory`. */
export async function loadPushBundle(directory: string, options: BundleOptions = {}): Promise<BundleLoad> {
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
    const bundle = await readBundle(
      raw,
      directory,
      (bundlePath) => readFile(join(directory, bundlePath)),
      options,
    );
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
    const bundle = await readBundle(
      raw,
      label,
      async (bundlePath) => {
        const bytes = contents.get(bundlePath);
        if (bytes === undefined) throw new Error('the generated bundle has no such file');
        return bytes;
      },
      {},
    );
    return { ok: true, bundle };
  } catch (error) {
    return asLoad(error);
  }
}
