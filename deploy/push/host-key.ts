/**
 * Whether to trust a server's host key, in this order:
 * 1. a key listed `@revoked` in known_hosts is refused;
 * 2. a `hostKey` fingerprint pinned in the design decides alone: match trusted, anything else
 *    refused as changed;
 * 3. known_hosts: the key listed for `host` (port 22) or `[host]:port` is trusted; a host listed
 *    with other keys has a changed key and is refused;
 * 4. an unknown key is trusted only with `acceptNew`, or when the user confirms its fingerprint
 *    through the callback; either way it is recorded in the known_hosts write file. The question
 *    is asked with no connection open (a person may take longer than any handshake timeout),
 *    then push connects again and the key must still be the confirmed one.
 * A changed key is refused whatever the options say.
 */
import { fingerprintOf, keyTypeOf, knownHostsName } from './known-hosts';
import type { KnownHosts } from './known-hosts';
import type { PushHost } from './bundle';
import type { HostKeyInfo, HostKeyQuestion, HostKeyRefusal, HostKeyTrust } from './types';

/**
 * The verdict on one server key. `refusal` says why a key is not trusted; `ask`: the key is
 * unknown and the user may confirm it, which happens outside the SSH handshake (see
 * {@link HostKeyVerifier.ask}).
 */
export type HostKeyDecision =
  | { trusted: true; key: HostKeyInfo; trust: HostKeyTrust; warning?: string }
  | {
      trusted: false;
      key: HostKeyInfo;
      refusal: HostKeyRefusal;
      reason: string;
      ask?: { rawKey: Buffer };
    };

/** Options of {@link HostKeyVerifier}. */
export interface HostKeyVerifierOptions {
  knownHosts: KnownHosts;
  acceptNew: boolean;
  confirm?: (question: HostKeyQuestion) => Promise<boolean>;
  /** Record accepted and confirmed keys in known_hosts; default true. */
  record?: boolean;
}

/** Decides about the host keys of one push; questions to the user are asked one at a time. */
export class HostKeyVerifier {
  private questions: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: HostKeyVerifierOptions) {}

  /** Key types to ask `host` for first, so a known key is the one the server shows. */
  preferredKeyTypes(host: PushHost): string[] {
    return this.options.knownHosts.knownKeyTypes(host.address, host.port);
  }

  /** Decides about `key`, presented by `host`. */
  async verify(host: PushHost, key: Buffer): Promise<HostKeyDecision> {
    const info: HostKeyInfo = { type: keyTypeOf(key), fingerprint: fingerprintOf(key) };
    const where = knownHostsName(host.address, host.port);
    const shown = `${info.type} key ${info.fingerprint}`;
    const verdict = this.options.knownHosts.judge(host.address, host.port, key);

    if (verdict.status === 'revoked')
      return {
        trusted: false,
        key: info,
        refusal: 'revoked',
        reason: `${where} presented the ${shown}, which ${verdict.source} lists as revoked`,
      };

    if (host.hostKey !== undefined) {
      if (sameFingerprint(host.hostKey, info.fingerprint))
        return { trusted: true, key: info, trust: 'pinned' };
      return {
        trusted: false,
        key: info,
        refusal: 'mismatch',
        reason:
          `HOST KEY MISMATCH: ${where} presented the ${shown}, but the design pins ${host.hostKey} for ${host.id}. ` +
          'Someone may be intercepting the connection, or the host was reinstalled; if the change is expected, ' +
          'update hosts[].ssh.hostKey in the design and generate again',
      };
    }

    if (verdict.status === 'known') return { trusted: true, key: info, trust: 'known' };
    if (verdict.status === 'changed') {
      return {
        trusted: false,
        key: info,
        refusal: 'changed',
        reason:
          `HOST KEY CHANGED: ${where} presented the ${shown}, but ${verdict.sources.join(', ')} ` +
          `list${verdict.sources.length === 1 ? 's' : ''} another key (${verdict.knownTypes.join(', ')}) for it. ` +
          'Someone may be intercepting the connection, or the host was reinstalled; if you know why, remove the ' +
          `old key (ssh-keygen -R '${where}') and push again. --accept-new never replaces a known key`,
      };
    }

    if (this.options.acceptNew) return this.record(host, key, info, 'accepted');
    if (this.options.confirm)
      return {
        trusted: false,
        key: info,
        refusal: 'unknown',
        reason: `the ${shown} of ${where} was not confirmed`,
        ask: { rawKey: key },
      };
    return {
      trusted: false,
      key: info,
      refusal: 'unknown',
      reason:
        `${where} presented the unknown ${shown}. Compare it with the host's own ` +
        '(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on it), then pin it as hosts[].ssh.hostKey in the design, ' +
        'add it to known_hosts, or push with --accept-new',
    };
  }

  /**
   * Asks the user about an unknown key (one question at a time across hosts) and records it when
   * confirmed. The caller then connects again: the server must present this very key.
   */
  async ask(host: PushHost, decision: HostKeyDecision): Promise<HostKeyDecision> {
    const confirm = this.options.confirm;
    if (decision.trusted || decision.ask === undefined || confirm === undefined) return decision;
    const question: HostKeyQuestion = {
      ...decision.key,
      host: host.id,
      address: host.address,
      port: host.port,
    };
    const asked = this.questions.then(() => confirm(question));
    this.questions = asked.catch(() => undefined);
    if (!(await asked.catch(() => false)))
      return { trusted: false, key: decision.key, refusal: decision.refusal, reason: decision.reason };
    return this.record(host, decision.ask.rawKey, decision.key, 'confirmed');
  }

  private async record(
    host: PushHost,
    key: Buffer,
    info: HostKeyInfo,
    trust: HostKeyTrust,
  ): Promise<HostKeyDecision> {
    if (this.options.record === false) {
      this.options.knownHosts.trust(host.address, host.port, key);
      return { trusted: true, key: info, trust };
    }
    const where = knownHostsName(host.address, host.port);
    try {
      await this.options.knownHosts.add(host.address, host.port, key);
      return { trusted: true, key: info, trust };
    } catch (error) {
      return {
        trusted: true,
        key: info,
        trust,
        warning: `the key of ${where} could not be recorded in known_hosts: ${(error as Error).message}`,
      };
    }
  }
}

/** Fingerprints compare without the base64 padding some tools print. */
function sameFingerprint(left: string, right: string): boolean {
  return left.replace(/=+$/u, '') === right.replace(/=+$/u, '');
}
