/**
 * One SSH connection of a push: ssh2 with a host verifier always set (without one ssh2 accepts
 * any key), key or agent authentication, remote commands, and the few SFTP operations push uses.
 */
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AuthMethod, Client, ConnectConfig, ParsedKey, SFTPWrapper } from 'ssh2';
import type { Readable } from 'node:stream';
import type { PushAuthentication } from './types';

/** The host key types push offers, OpenSSH's default order (ssh-rsa with SHA-1 is left out, as OpenSSH does). */
// ssh2 is CommonJS; Node's ESM loader only sees its default export.
const { Client: SshClient, utils } = ssh2;

const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
] as const;
type HostKeyAlgorithm = (typeof HOST_KEY_ALGORITHMS)[number];

/** Credentials prepared once per push: a decrypted key held in memory only, or an agent socket. */
export type Credentials = { kind: 'key'; key: ParsedKey; file: string } | { kind: 'agent'; socket: string };

/** Authentication cannot even be attempted: no key, an unreadable key, a wrong passphrase. */
export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

/**
 * Reads and decrypts the private key (asking for its passphrase through the callback), or picks
 * the agent. The key file's text and the passphrase are dropped as soon as the key is parsed;
 * error messages name the file, never its content.
 */
export async function prepareCredentials(auth: PushAuthentication): Promise<Credentials> {
  const explicit = auth.identityFile;
  if (explicit === undefined && auth.agentSocket) return { kind: 'agent', socket: auth.agentSocket };
  const candidates = explicit !== undefined ? [explicit] : (auth.defaultIdentityFiles ?? []);
  for (const file of candidates) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (error) {
      if (explicit === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new CredentialsError(
        `cannot read the identity file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    try {
      let parsed = utils.parseKey(data);
      if (parsed instanceof Error && /passphrase/iu.test(parsed.message)) {
        const passphrase = await auth.passphrase?.(file);
        if (passphrase === undefined)
          throw new CredentialsError(`the identity file ${file} is encrypted and no passphrase was given`);
        parsed = utils.parseKey(data, passphrase);
        if (parsed instanceof Error)
          throw new CredentialsError(`cannot decrypt the identity file ${file}: wrong passphrase?`);
      }
      if (parsed instanceof Error)
        throw new CredentialsError(`the identity file ${file} is not a private key ssh2 can read`);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (key === undefined || key.isPrivateKey() !== true)
        throw new CredentialsError(`the identity file ${file} holds no private key`);
      return { kind: 'key', key, file };
    } finally {
      data.fill(0);
    }
  }
  throw new CredentialsError(
    'no key to log in with: pass --identity FILE, or run an ssh-agent (SSH_AUTH_SOCK) holding the key',
  );
}

/** What a remote command did. */
export interface CommandResult {
  code: number | null;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

/** The connection was refused, could not be set up, or was lost while in use. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

/** A remote command (or the handshake) took longer than it may. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(
    message: string,
    /** The limit that ran out, in milliseconds. */
    readonly limitMs: number,
  ) {
    super(message);
  }
}

/** The push was cancelled (its AbortSignal fired). */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** How to run one remote command. */
export interface ExecOptions {
  /** Sees each stdout line as it arrives. */
  onLine?: (line: string) => void;
  /** Give up (and close the channel) when the command has not ended after this long. */
  timeoutMs?: number;
  /** Give up when the command has printed nothing for this long. */
  idleTimeoutMs?: number;
  /** Give up at once (and close the channel) when this fires. */
  signal?: AbortSignal;
}

/** A remote command whose standard input stays open until {@link RunningCommand.finish}. */
export interface RunningCommand {
  /** Resolves (or rejects, as `exec` would) when the command has ended. */
  result: Promise<CommandResult>;
  /** Writes more to its standard input: a shell that reads its script there runs it next. */
  write(input: string): void;
  /** Closes its standard input, then waits until it ends. */
  finish(): Promise<CommandResult>;
  /** Closes the channel without waiting. */
  close(): void;
}

/** Where to connect and how to decide about the host key. */
export interface ConnectOptions {
  address: string;
  port: number;
  user: string;
  credentials: Credentials;
  /** Key types to ask the server for first: the ones known_hosts has for it. */
  preferredKeyTypes: string[];
  /** Decides about the server's key; resolves true to continue. */
  verifyHostKey: (key: Buffer) => Promise<boolean>;
  /** Milliseconds until the TCP connection and the SSH handshake (log-in included) must be done; default 15 s. */
  readyTimeoutMs?: number;
  /** Cancels the connection attempt. */
  signal?: AbortSignal;
  /** Another stream to talk over instead of a TCP connection (tests, jump hosts). */
  sock?: Readable;
}

function hostKeyAlgorithms(preferred: string[]): HostKeyAlgorithm[] {
  const wanted = preferred.flatMap((type) =>
    type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256'] : [type],
  );
  const first = HOST_KEY_ALGORITHMS.filter((algorithm) => wanted.includes(algorithm));
  return [...first, ...HOST_KEY_ALGORITHMS.filter((algorithm) => !first.includes(algorithm))];
}

/** How long connecting and the SSH handshake may take, by default. */
export const DEFAULT_READY_TIMEOUT_MS = 15_000;

/** An open, authenticated SSH connection. */
export class SshConnection {
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private closed = false;
  private lostReason: string | undefined;
  private readonly closeListeners = new Set<() => void>();

  private constructor(private readonly client: Client) {
    client.on('close', () => {
      this.closed = true;
      this.lostReason ??= 'the connection closed';
      for (const listener of this.closeListeners) listener();
    });
    client.on('error', (error) => {
      this.lostReason = error.message;
    });
  }

  /** Connects, verifies the host key through `verifyHostKey`, and logs in. */
  static open(options: ConnectOptions): Promise<SshConnection> {
    const client = new SshClient();
    const config: ConnectConfig = {
      host: options.address,
      port: options.port,
      username: options.user,
      readyTimeout: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: hostKeyAlgorithms(options.preferredKeyTypes) },
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        options.verifyHostKey(key).then(verify, () => verify(false));
      },
      ...(options.sock ? { sock: options.sock } : {}),
    };
    const credentials = options.credentials;
    const method: AuthMethod =
      credentials.kind === 'key'
        ? ({ type: 'publickey', username: options.user, key: credentials.key } as AuthMethod)
        : ({ type: 'agent', username: options.user, agent: credentials.socket } as AuthMethod);
    // Exactly one method, tried once: a key file means only that key, as OpenSSH's IdentitiesOnly.
    let offered = false;
    config.authHandler = ((
      _methodsLeft: unknown,
      _partial: unknown,
      next: (method: AuthMethod | false) => void,
    ) => {
      next(offered ? false : method);
      offered = true;
    }) as unknown as ConnectConfig['authHandler'];
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => {
        client.removeListener('ready', onReady);
        client.removeListener('error', onError);
        client.on('error', () => undefined);
        client.destroy();
        reject(new CancelledError());
      };
      const onError = (error: Error): void => {
        signal?.removeEventListener('abort', onAbort);
        client.removeListener('ready', onReady);
        // ssh2 may report the socket's end as one more error: nobody is listening any more.
        client.on('error', () => undefined);
        client.end();
        reject(describeConnectError(error, options));
      };
      const onReady = (): void => {
        signal?.removeEventListener('abort', onAbort);
        client.removeListener('error', onError);
        resolve(new SshConnection(client));
      };
      if (signal?.aborted) {
        reject(new CancelledError());
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      client.once('ready', onReady);
      client.once('error', onError);
      client.connect(config);
      // ssh2 sets no TCP_NODELAY: every small request-response exchange would wait on Nagle.
      client.setNoDelay(true);
    });
  }

  /** Why the connection is gone, if it is. */
  get lost(): string | undefined {
    return this.closed ? this.lostReason : undefined;
  }

  /**
   * Runs `command`, writing `input` to its stdin, and collects its output. Rejects with a
   * {@link ConnectionError} when the connection drops before the command ends, a
   * {@link TimeoutError} when a limit of `options` runs out, a {@link CancelledError} when its
   * signal fires; in the last two cases the channel is closed.
   */
  async exec(command: string, input: string, options: ExecOptions = {}): Promise<CommandResult> {
    const running = await this.start(command, input, options);
    return running.finish();
  }

  /**
   * Starts `command` and writes `input` to its stdin, which stays open until `finish()`: a
   * command that runs as long as push needs it (the lock's keeper). Limits as for {@link exec}.
   */
  start(command: string, input: string, options: ExecOptions = {}): Promise<RunningCommand> {
    return new Promise((started, failedToStart) => {
      if (this.closed) {
        failedToStart(new ConnectionError(this.lostReason ?? 'the connection closed'));
        return;
      }
      if (options.signal?.aborted) {
        failedToStart(new CancelledError());
        return;
      }
      this.client.exec(command, (error, stream) => {
        if (error) {
          failedToStart(new ConnectionError(`cannot run a command: ${error.message}`));
          return;
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let pending = '';
        let code: number | null = null;
        let signal: string | undefined;
        let exited = false;
        let settled = false;
        const timers: NodeJS.Timeout[] = [];
        let idleTimer: NodeJS.Timeout | undefined;
        let settle: (outcome: { result?: CommandResult; error?: Error }) => void = () => undefined;
        const result = new Promise<CommandResult>((resolve, reject) => {
          settle = (outcome) => {
            if (settled) return;
            settled = true;
            for (const timer of timers) clearTimeout(timer);
            if (idleTimer) clearTimeout(idleTimer);
            options.signal?.removeEventListener('abort', onAbort);
            if (outcome.error) reject(outcome.error);
            else resolve(outcome.result!);
          };
        });
        // Rejections are handled by whoever awaits `result` or `finish()`; never unhandled.
        result.catch(() => undefined);
        const giveUp = (reason: Error): void => {
          if (settled) return;
          settle({ error: reason });
          stream.close();
        };
        const onAbort = (): void => giveUp(new CancelledError());
        options.signal?.addEventListener('abort', onAbort, { once: true });
        if (options.timeoutMs !== undefined) {
          const limit = options.timeoutMs;
          timers.push(
            setTimeout(() => giveUp(new TimeoutError(`no answer after ${seconds(limit)}`, limit)), limit),
          );
        }
        const resetIdle = (): void => {
          if (options.idleTimeoutMs === undefined || settled) return;
          if (idleTimer) clearTimeout(idleTimer);
          const limit = options.idleTimeoutMs;
          idleTimer = setTimeout(
            () => giveUp(new TimeoutError(`no word from the host for ${seconds(limit)}`, limit)),
            limit,
          );
        };
        resetIdle();
        stream.on('data', (chunk: Buffer) => {
          resetIdle();
          stdout.push(chunk);
          if (!options.onLine) return;
          pending += chunk.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) options.onLine(line);
        });
        stream.stderr.on('data', (chunk: Buffer) => {
          resetIdle();
          stderr.push(chunk);
        });
        stream.on('exit', (exitCode: number | null, exitSignal?: string) => {
          exited = true;
          code = exitCode;
          signal = exitSignal ?? undefined;
        });
        stream.on('close', () => {
          if (options.onLine && pending !== '' && !settled) options.onLine(pending);
          if (!exited && this.closed) {
            settle({ error: new ConnectionError(this.lostReason ?? 'the connection closed') });
            return;
          }
          settle({
            result: {
              code,
              signal,
              stdout: Buffer.concat(stdout).toString('utf8'),
              stderr: Buffer.concat(stderr).toString('utf8'),
            },
          });
        });
        stream.write(input);
        started({
          result,
          write: (more) => {
            if (!settled) stream.write(more);
          },
          finish: () => {
            stream.end();
            return result;
          },
          close: () => giveUp(new ConnectionError('closed by push')),
        });
      });
    });
  }

  /** Free bytes for the login user on the file system of `path`, over SFTP (statvfs@openssh.com). */
  async freeBytes(path: string): Promise<number | undefined> {
    const sftp = await this.sftp();
    try {
      const stats = await this.request<{ f_frsize: number | bigint; f_bavail: number | bigint }>((done) =>
        sftp.ext_openssh_statvfs(path, done),
      );
      return Number(stats.f_frsize) * Number(stats.f_bavail);
    } catch (error) {
      if (error instanceof ConnectionError) throw error;
      return undefined;
    }
  }

  /**
   * Runs one callback-style request, rejecting with a {@link ConnectionError} if the connection
   * is or becomes closed first: ssh2 never answers a request made on a dead channel.
   */
  request<T>(body: (callback: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new ConnectionError(this.lostReason ?? 'the connection closed'));
        return;
      }
      const onClose = (): void => reject(new ConnectionError(this.lostReason ?? 'the connection closed'));
      this.closeListeners.add(onClose);
      body((error, value) => {
        this.closeListeners.delete(onClose);
        if (error) reject(error);
        else resolve(value as T);
      });
    });
  }

  /** The connection's SFTP session, opened on first use. */
  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) => {
      this.client.sftp((error, sftp) => {
        if (error) reject(new ConnectionError(`cannot start SFTP: ${error.message}`));
        else resolve(sftp);
      });
    });
    return this.sftpSession;
  }

  /** Ends the connection. */
  close(): void {
    if (!this.closed) this.client.end();
  }
}

/** `12 s`, `1.5 s`: a limit as a person reads it. */
export function seconds(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(3))} s`;
}

function describeConnectError(error: Error & { level?: string }, options: ConnectOptions): Error {
  const where = `${options.user}@${options.address}:${options.port}`;
  const limit = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  if (error.level === 'client-timeout' && !/keepalive/iu.test(error.message))
    return new TimeoutError(
      `${where} did not connect and finish the SSH handshake in ${seconds(limit)} (connect timeout)`,
      limit,
    );
  return new ConnectionError(describeConnectFailure(error, options, where));
}

function describeConnectFailure(
  error: Error & { level?: string },
  options: ConnectOptions,
  where: string,
): string {
  if (error.level === 'client-authentication')
    return `${where} refused the login: the key is not authorized for ${options.user}`;
  if (error.level === 'client-timeout') return `${where} did not finish the SSH handshake in time`;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `${where} refused the connection: is sshd running there?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${options.address}`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${where} cannot be reached`;
  return `${where}: ${error.message}`;
}
