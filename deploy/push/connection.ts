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
  /** Milliseconds until the handshake must be done; default 15 s. */
  readyTimeoutMs?: number;
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
      readyTimeout: options.readyTimeoutMs ?? 15_000,
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
      const onError = (error: Error): void => {
        client.removeListener('ready', onReady);
        client.end();
        reject(new ConnectionError(describeConnectError(error, options)));
      };
      const onReady = (): void => {
        client.removeListener('error', onError);
        resolve(new SshConnection(client));
      };
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
   * Runs `command`, writing `input` to its stdin, and collects its output. `onLine` sees each
   * stdout line as it arrives. Rejects with a {@link ConnectionError} when the connection drops
   * before the command ends.
   */
  exec(command: string, input: string, onLine?: (line: string) => void): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new ConnectionError(this.lostReason ?? 'the connection closed'));
        return;
      }
      this.client.exec(command, (error, stream) => {
        if (error) {
          reject(new ConnectionError(`cannot run a command: ${error.message}`));
          return;
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let pending = '';
        let code: number | null = null;
        let signal: string | undefined;
        let exited = false;
        stream.on('data', (chunk: Buffer) => {
          stdout.push(chunk);
          if (!onLine) return;
          pending += chunk.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) onLine(line);
        });
        stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        stream.on('exit', (exitCode: number | null, exitSignal?: string) => {
          exited = true;
          code = exitCode;
          signal = exitSignal ?? undefined;
        });
        stream.on('close', () => {
          if (onLine && pending !== '') onLine(pending);
          const result = {
            code,
            signal,
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8'),
          };
          if (!exited && this.closed) {
            reject(new ConnectionError(this.lostReason ?? 'the connection closed'));
            return;
          }
          resolve(result);
        });
        stream.end(input);
      });
    });
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

function describeConnectError(error: Error & { level?: string }, options: ConnectOptions): string {
  const where = `${options.user}@${options.address}:${options.port}`;
  if (error.level === 'client-authentication')
    return `${where} refused the login: the key is not authorized for ${options.user}`;
  if (error.level === 'client-timeout') return `${where} did not finish the SSH handshake in time`;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `${where} refused the connection: is sshd running there?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${options.address}`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${where} cannot be reached`;
  return `${where}: ${error.message}`;
}
