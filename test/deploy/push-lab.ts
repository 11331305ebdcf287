/**
 * Hand-made bundles for lab hosts (test/lab/sshd.ts) and the push that takes them: files with
 * checks and reloads of their own (shell commands that log or wait on the lab host) at paths no
 * generator writes. Push runs such a manifest only when the person vouches for it by its digest
 * (`--manifest-digest`), which these helpers do, as a person who wrote the manifest would.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CliIo } from '../../cli/main';
import { runPush } from '../../cli/push';
import type { PushCliEnvironment } from '../../cli/push';
import { buildManifest } from '../../core/generate/bundle';
import type { BundleFile, FilePolicy } from '../../core/generate/bundle';
import type { Design } from '../../core/model';
import { loadPushBundle, manifestDigest, pushBundle } from '../../deploy/push/index';
import type { PushBundle, PushOptions, PushReport } from '../../deploy/push/index';
import { writeBundle } from '../../deploy/write-bundle';
import type { SshLab, SshLabHost } from '../lab/sshd';

/** A file of a hand-made bundle. */
export interface LabFile {
  path: string;
  content: string;
  mode?: string;
  owner?: string;
  check?: string;
  reload?: string;
  policy?: FilePolicy;
}

/** Writes a bundle named `name` with `files` per lab host into `directory`; returns it. */
export async function writeLabBundle(
  lab: SshLab,
  directory: string,
  name: string,
  files: Record<string, LabFile[]>,
  options: { sudo?: boolean } = {},
): Promise<string> {
  const ids = Object.keys(files);
  const byId = new Map(lab.hosts.map((host) => [host.id, host]));
  const design = {
    format: 1,
    name,
    hosts: ids.map((id) => ({
      id,
      address: '127.0.0.1',
      ssh: { user: 'root', port: byId.get(id)!.port, root: byId.get(id)!.root, sudo: options.sudo ?? false },
    })),
    services: [],
  } as unknown as Design;
  const bundleFiles: BundleFile[] = ids.flatMap((host) =>
    files[host]!.map((file) => ({
      host,
      path: file.path,
      content: file.content,
      mode: file.mode ?? '0644',
      ...(file.owner ? { owner: file.owner } : {}),
      ...(file.check ? { check: file.check } : {}),
      ...(file.reload ? { reload: file.reload } : {}),
      policy: file.policy ?? 'replace',
    })),
  );
  // No roll-out order: the hosts of these bundles may change together. No prerequisites either, as
  // a hand-made manifest has none: their units' made-up programs are the tests' own stand-ins.
  await writeBundle(
    {
      files: bundleFiles,
      manifest: { ...buildManifest(design, bundleFiles), serial: [], prerequisites: [] },
    },
    directory,
  );
  return directory;
}

/** The digest of a bundle's manifest, as `push --dry-run` prints it. */
export function digestOf(directory: string): string {
  return manifestDigest(JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')));
}

/** Loads a hand-made bundle, vouched for by its digest. */
export async function loadVouched(directory: string): Promise<PushBundle> {
  const loaded = await loadPushBundle(directory, { manifestDigest: digestOf(directory) });
  if (!loaded.ok) throw new Error(`${loaded.problem.path}: ${loaded.problem.message}`);
  return loaded.bundle;
}

/** Pushes a hand-made bundle with the lab's key and known_hosts; resolves with the report. */
export async function pushLab(
  lab: SshLab,
  directory: string,
  knownHosts: string,
  options: Partial<Omit<PushOptions, 'bundle' | 'authentication' | 'hostKeys'>> = {},
): Promise<PushReport> {
  const outcome = await pushBundle({
    bundle: await loadVouched(directory),
    authentication: { identityFile: lab.identityFile },
    hostKeys: { knownHosts: { read: [knownHosts], write: knownHosts } },
    ...options,
  });
  if (!outcome.ok) throw new Error(`${outcome.problem.path}: ${outcome.problem.message}`);
  return outcome.report;
}

/** What `topoforge push` printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `topoforge push ARGS…` in-process, capturing what it prints. */
export async function runPushCapturing(args: string[], environment: PushCliEnvironment): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    readText: async (path) => readFileSync(path, 'utf8'),
    color: false,
  };
  const code = await runPush(args, io, environment);
  return { code, stdout, stderr };
}

/** Runs `topoforge push DIRECTORY ARGS…` in-process with the lab's key and known_hosts. */
export async function pushCli(
  lab: SshLab,
  directory: string,
  knownHosts: string,
  args: string[],
  environment: Partial<PushCliEnvironment> = {},
): Promise<CliRun> {
  return runPushCapturing([directory, '--identity', lab.identityFile, '--known-hosts', knownHosts, ...args], {
    home: join(lab.directory, 'home'),
    ...environment,
  });
}

/** Every file under a host's root with its mode and content, by path relative to it. */
export function snapshot(host: SshLabHost): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else
        result[relative(host.root, path)] =
          `${(statSync(path).mode & 0o7777).toString(8)} ${readFileSync(path, 'utf8')}`;
    }
  };
  if (existsSync(host.root)) walk(host.root);
  return result;
}

/** The content of a file under a host's root, or undefined. */
export function readHostFile(host: SshLabHost, path: string): string | undefined {
  const full = join(host.root, path);
  return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
}
