/**
 * The secret store (docs/push.md): the passwords and key files Topoforge creates for a
 * deployment, kept on the machine push runs on and never in a design, a bundle, a manifest, a
 * report or a log.
 *
 * Layout, in the app's data folder (`~/.config/Topoforge/secrets` on Linux):
 *
 *     secrets/                       0700
 *       <design>-<hash>/             0700, one per design name
 *         <scope>.json               0600, the secrets of one group (or service) and their dates
 *
 * Every change is written to a temporary file, flushed and renamed over the old one, under a lock
 * file, so a crash or two pushes at once never leave a half-written or lost secret.
 */
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as fs from 'node:fs/promises';
import { SECRETS, isSecretName } from '../../core/generate/secrets';
import type { SecretName, SecretValue, SecretValues } from '../../core/generate/secrets';
import { ID_REGEX } from '../../core/schema/patterns';

/** The environment variable that moves the store, e.g. for tests or a team's encrypted volume. */
export const SECRETS_DIRECTORY_VARIABLE = 'TOPOFORGE_SECRETS_DIR';

/** Where the store lives and how it makes values; every field has the machine's default. */
export interface SecretStoreOptions {
  /** The store's folder; else `$TOPOFORGE_SECRETS_DIR`, else `secrets` in the app's data folder. */
  directory?: string;
  environment?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
  /** The clock for created and rotated dates. */
  now?: () => Date;
  /** Cryptographically random bytes; tests may inject, production never does. */
  randomBytes?: (size: number) => Buffer;
}

/**
 * The app's data folder, as Electron's `app.getPath('userData')` names it for Topoforge, so the
 * desktop app and the command line share one store.
 */
export function appDataDirectory(
  environment: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Topoforge');
  if (platform === 'win32') return join(environment.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Topoforge');
  return join(environment.XDG_CONFIG_HOME || join(home, '.config'), 'Topoforge');
}

/** The store's folder for these options. */
export function secretStoreDirectory(options: SecretStoreOptions = {}): string {
  const environment = options.environment ?? process.env;
  return (
    options.directory ??
    (environment[SECRETS_DIRECTORY_VARIABLE] ||
      join(appDataDirectory(environment, options.platform, options.home), 'secrets'))
  );
}

/** The store could not be read or written; the message says which file and what to do. */
export class SecretStoreError extends Error {
  override name = 'SecretStoreError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** One stored secret: its value, the previous one while a rotation rolls out, and its dates. */
interface StoredSecret extends SecretValue {
  created: string;
  rotated?: string;
}

/** `<scope>.json`. */
interface ScopeFile {
  format: 1;
  design: string;
  scope: string;
  /** The hosts its secrets were last rendered for. */
  hosts: string[];
  /**
   * True from `rotate` (or `rotate --finish`) until push reports the change on every host: the
   * secret files are then pushed with policy `replace` instead of `create-only`.
   */
  rolloutPending: boolean;
  secrets: Partial<Record<SecretName, StoredSecret>>;
}

/** Where a rotation stands. */
export type RotationState =
  /** Nothing to roll out. */
  | 'done'
  /** New values wait for a push; hosts keep accepting the previous ones. */
  | 'rolling-out'
  /** Every host has both values; `rotate --finish` retires the previous ones. */
  | 'awaiting-finish'
  /** The previous values are retired; a push removes them from the hosts. */
  | 'finishing';

/** What `list` shows of one secret: never its value. */
export interface SecretSummary {
  design: string;
  scope: string;
  name: SecretName;
  about: string;
  hosts: string[];
  created: string;
  rotated: string | null;
  rotation: RotationState;
  /** The store file holding it, for a person who must hand a password to an application. */
  file: string;
}

/** The secrets of one scope, as rendering needs them. */
export interface ScopeSecrets {
  values: SecretValues;
  /** Secret files of this scope go out with `replace`: a rotation rolls out. */
  rolloutPending: boolean;
}

const LOCK_TIMEOUT_MS = 10_000;
const STALE_LOCK_MS = 60_000;

function rotationState(file: ScopeFile): RotationState {
  const keepsPrevious = Object.values(file.secrets).some((secret) => secret?.previous !== undefined);
  if (keepsPrevious) return file.rolloutPending ? 'rolling-out' : 'awaiting-finish';
  return file.rolloutPending ? 'finishing' : 'done';
}

/** A folder name for a design: readable, and unique per name through a short hash. */
export function designFolderOf(design: string): string {
  const slug = design
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const hash = createHash('sha256').update(design, 'utf8').digest('hex').slice(0, 12);
  return slug === '' ? hash : `${slug}-${hash}`;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The secret store; see the module comment for its layout. */
export class SecretStore {
  readonly directory: string;
  private readonly now: () => Date;
  private readonly random: (size: number) => Buffer;
  private readonly checksModes: boolean;

  constructor(options: SecretStoreOptions = {}) {
    this.directory = secretStoreDirectory(options);
    this.now = options.now ?? (() => new Date());
    this.random = options.randomBytes ?? nodeRandomBytes;
    // Windows has no POSIX modes; its profile folder is private to the user already.
    this.checksModes = (options.platform ?? process.platform) !== 'win32';
  }

  /** The file of a scope's secrets. */
  fileOf(design: string, scope: string): string {
    if (!ID_REGEX.test(scope))
      throw new SecretStoreError(`${JSON.stringify(scope)} is not a group or service id`, scope);
    return join(this.directory, designFolderOf(design), `${scope}.json`);
  }

  /**
   * The values of `names` in a scope, creating each one that is missing (random, on this machine).
   * Records `hosts` as where they go.
   */
  async ensure(
    design: string,
    scope: string,
    names: readonly SecretName[],
    hosts: readonly string[],
  ): Promise<ScopeSecrets> {
    const path = this.fileOf(design, scope);
    return this.update(path, design, scope, (file) => {
      const created = this.now().toISOString();
      let changed = false;
      for (const name of names) {
        if (file.secrets[name] !== undefined) continue;
        file.secrets[name] = { current: this.newValue(name), created };
        changed = true;
      }
      const known = [...new Set([...file.hosts, ...hosts])].sort();
      if (known.join('\n') !== file.hosts.join('\n')) {
        file.hosts = known;
        changed = true;
      }
      const values: SecretValues = {};
      for (const name of names) {
        const { current, previous } = file.secrets[name]!;
        values[name] = previous === undefined ? { current } : { current, previous };
      }
      return { changed, result: { values, rolloutPending: file.rolloutPending } };
    });
  }

  /**
   * The values of `names` in a scope as stored, without creating or recording anything (a dry
   * run's plan); undefined when any of them does not exist yet.
   */
  async peek(design: string, scope: string, names: readonly SecretName[]): Promise<ScopeSecrets | undefined> {
    const file = await this.readScope(this.fileOf(design, scope));
    if (file === undefined) return undefined;
    const values: SecretValues = {};
    for (const name of names) {
      const secret = file.secrets[name];
      if (secret === undefined) return undefined;
      values[name] =
        secret.previous === undefined
          ? { current: secret.current }
          : { current: secret.current, previous: secret.previous };
    }
    return { values, rolloutPending: file.rolloutPending };
  }

  /**
   * Rotates every secret of a scope: new values, the old ones kept as `previous` so that hosts
   * accept both while the change rolls out. With `finish`, retires the previous values instead.
   * Throws when the scope has no secrets yet (push creates them).
   */
  async rotate(design: string, scope: string, options: { finish?: boolean } = {}): Promise<SecretSummary[]> {
    const path = this.fileOf(design, scope);
    if ((await this.readScope(path)) === undefined) {
      throw new SecretStoreError(
        `no secrets of ${scope} for "${design}" yet: push creates them on first deploy`,
        path,
      );
    }
    await this.update(path, design, scope, (file) => {
      const rotated = this.now().toISOString();
      for (const name of Object.keys(file.secrets) as SecretName[]) {
        const secret = file.secrets[name]!;
        if (options.finish) {
          delete secret.previous;
        } else {
          // Rotating again before finishing keeps the oldest value hosts may still use.
          secret.previous = secret.previous ?? secret.current;
          secret.current = this.newValue(name);
          secret.rotated = rotated;
        }
      }
      file.rolloutPending = true;
      return { changed: true, result: undefined };
    });
    return this.list({ design, scope });
  }

  /** Push calls this once a scope's secret files reached every host: later pushes are create-only again. */
  async markRolledOut(design: string, scope: string): Promise<void> {
    const path = this.fileOf(design, scope);
    await this.update(path, design, scope, (file) => {
      const changed = file.rolloutPending;
      file.rolloutPending = false;
      return { changed, result: undefined };
    });
  }

  /** Every stored secret, by design, scope and name; never a value. */
  async list(filter: { design?: string; scope?: string } = {}): Promise<SecretSummary[]> {
    const summaries: SecretSummary[] = [];
    for (const path of await this.scopeFiles()) {
      const file = await this.readScope(path);
      if (file === undefined) continue;
      if (filter.design !== undefined && file.design !== filter.design) continue;
      if (filter.scope !== undefined && file.scope !== filter.scope) continue;
      const rotation = rotationState(file);
      for (const name of (Object.keys(file.secrets) as SecretName[]).sort()) {
        const secret = file.secrets[name]!;
        summaries.push({
          design: file.design,
          scope: file.scope,
          name,
          about: SECRETS[name].about,
          hosts: file.hosts,
          created: secret.created,
          rotated: secret.rotated ?? null,
          rotation,
          file: path,
        });
      }
    }
    return summaries.sort(
      (a, b) => compare(a.design, b.design) || compare(a.scope, b.scope) || compare(a.name, b.name),
    );
  }

  private newValue(name: SecretName): string {
    const { bytes, encoding } = SECRETS[name];
    return this.random(bytes).toString(encoding);
  }

  private async scopeFiles(): Promise<string[]> {
    let designs: string[];
    try {
      designs = await fs.readdir(this.directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw new SecretStoreError(
        `cannot read the secret store ${this.directory}: ${(error as Error).message}`,
        this.directory,
      );
    }
    const files: string[] = [];
    for (const design of designs.sort()) {
      const folder = join(this.directory, design);
      let entries: string[];
      try {
        entries = await fs.readdir(folder);
      } catch (error) {
        if (errorCode(error) === 'ENOTDIR') continue;
        throw new SecretStoreError(`cannot read ${folder}: ${(error as Error).message}`, folder);
      }
      files.push(
        ...entries
          .filter((entry) => entry.endsWith('.json'))
          .sort()
          .map((entry) => join(folder, entry)),
      );
    }
    return files;
  }

  /** A scope file, checked; undefined when it does not exist. */
  private async readScope(path: string): Promise<ScopeFile | undefined> {
    let text: string;
    try {
      if (this.checksModes) {
        const mode = (await fs.stat(path)).mode & 0o777;
        if ((mode & 0o077) !== 0) {
          throw new SecretStoreError(
            `${path} may be read by other users (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${path}`,
            path,
          );
        }
      }
      text = await fs.readFile(path, 'utf8');
    } catch (error) {
      if (error instanceof SecretStoreError) throw error;
      if (errorCode(error) === 'ENOENT') return undefined;
      throw new SecretStoreError(`cannot read ${path}: ${(error as Error).message}`, path);
    }
    return parseScopeFile(text, path);
  }

  /**
   * Reads a scope file under its lock, lets `change` edit it, and writes it back atomically when
   * it says it changed.
   */
  private async update<T>(
    path: string,
    design: string,
    scope: string,
    change: (file: ScopeFile) => { changed: boolean; result: T },
  ): Promise<T> {
    const folder = join(path, '..');
    await makePrivateFolder(this.directory);
    await makePrivateFolder(folder);
    const release = await lock(`${path}.lock`);
    try {
      const existing = await this.readScope(path);
      const file: ScopeFile = existing ?? {
        format: 1,
        design,
        scope,
        hosts: [],
        rolloutPending: false,
        secrets: {},
      };
      if (file.design !== design || file.scope !== scope) {
        throw new SecretStoreError(
          `${path} holds the secrets of ${file.scope} for "${file.design}", not ${scope} for "${design}"`,
          path,
        );
      }
      const { changed, result } = change(file);
      if (changed || existing === undefined)
        await writePrivateFile(path, `${JSON.stringify(file, null, 2)}\n`);
      return result;
    } finally {
      await release();
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A scope file's JSON, checked field by field: a hand edit gets words, not a crash. */
function parseScopeFile(text: string, path: string): ScopeFile {
  const bad = (what: string): never => {
    throw new SecretStoreError(`${path} is not a Topoforge secret file: ${what}`, path);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return bad(`it is not JSON (${(error as Error).message})`);
  }
  const record = raw as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || record.format !== 1) return bad('format is not 1');
  if (typeof record.design !== 'string') return bad('design is not a name');
  if (typeof record.scope !== 'string' || !ID_REGEX.test(record.scope)) return bad('scope is not an id');
  if (!Array.isArray(record.hosts) || record.hosts.some((host) => typeof host !== 'string'))
    return bad('hosts is not a list of host ids');
  const secrets = record.secrets as Record<string, unknown> | undefined;
  if (typeof secrets !== 'object' || secrets === null) return bad('secrets is not an object');
  for (const [name, secret] of Object.entries(secrets)) {
    if (!isSecretName(name)) return bad(`${name} is not a secret Topoforge knows`);
    const value = secret as Record<string, unknown>;
    const { pattern } = SECRETS[name];
    if (typeof value.current !== 'string' || !pattern.test(value.current))
      return bad(`the value of ${name} is not what Topoforge makes (${SECRETS[name].bytes} random bytes)`);
    if (value.previous !== undefined && (typeof value.previous !== 'string' || !pattern.test(value.previous)))
      return bad(`the previous value of ${name} is malformed`);
    if (typeof value.created !== 'string') return bad(`${name} has no created date`);
  }
  return {
    format: 1,
    design: record.design,
    scope: record.scope,
    hosts: record.hosts as string[],
    rolloutPending: record.rolloutPending === true,
    secrets: secrets as ScopeFile['secrets'],
  };
}

/** Creates a folder only its owner may enter, or tightens an existing one to that. */
async function makePrivateFolder(path: string): Promise<void> {
  await fs.mkdir(path, { recursive: true, mode: 0o700 });
  await fs.chmod(path, 0o700);
}

/** Writes a 0600 file atomically: a temporary file beside it, flushed, then renamed over it. */
async function writePrivateFile(path: string, content: string): Promise<void> {
  const temporary = `${path}.${nodeRandomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temporary, path);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  // The rename itself survives a power cut once the folder is flushed; not every platform can.
  try {
    const folder = await fs.open(join(path, '..'), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {
    // Windows cannot open a folder for flushing; the rename is still atomic there.
  }
}

/**
 * Takes a lock file (created exclusively, holding this process's id); waits while another process
 * holds it, and breaks a lock left by a crash after {@link STALE_LOCK_MS}.
 */
async function lock(path: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const handle = await fs.open(path, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => fs.rm(path, { force: true });
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    try {
      const age = Date.now() - (await fs.stat(path)).mtimeMs;
      if (age > STALE_LOCK_MS) await fs.rm(path, { force: true });
    } catch {
      // Released meanwhile: try again at once.
    }
    if (Date.now() > deadline) {
      throw new SecretStoreError(`${path} is held by another Topoforge; if none runs, delete it`, path);
    }
    await sleep(20);
  }
}
