/**
 * A design whose hosts are lab sshd servers (test/lab/sshd.ts), for the app's push tests, and the
 * push service wired to them. The lab's servers all listen on 127.0.0.1, but a design may not give
 * two hosts one address: each host gets its own documentation address (192.0.2.x, RFC 5737), and
 * the service's connections to it are routed to the loopback, on the host's own port.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { PushEvent } from '../../core/push';
import { SshConnection } from '../../deploy/push/connection';
import { PushService } from '../../electron/main/push-service';
import type { SshLab } from '../lab/sshd';
import { temporaryFolderSync } from '../lab/temporary';

/** The lab's host ids: two app servers behind one entrypoint, and one whose check fails. */
export const LAB_HOSTS = ['web-1', 'web-2', 'web-3'] as const;

/** The design address of a lab host. */
export function labAddress(index: number): string {
  return `192.0.2.${11 + index}`;
}

/**
 * The design: an app on each host, a systemd unit each. `app-3` runs `/etc/debian_version`, a file that
 * is not executable, so the unit's real check (`systemd-analyze verify`) fails on web-3. (A program
 * that is not installed at all does not fail it: push checks the unit with a stand-in, issue 19.)
 */
export function labDesignText(lab: SshLab, options: { command?: string } = {}): string {
  const design = {
    format: 1,
    name: 'Push lab',
    hosts: lab.hosts.map((host, index) => ({
      id: host.id,
      address: labAddress(index),
      ssh: { user: 'root', port: host.port, root: host.root },
    })),
    services: lab.hosts.map((host, index) => ({
      id: `app-${index + 1}`,
      kind: 'app',
      host: host.id,
      port: 9000,
      command: index === 2 ? '/etc/debian_version' : (options.command ?? '/usr/bin/true'),
    })),
    entrypoints: [{ id: 'front', port: 9000, targets: ['app-1', 'app-2'], via: 'direct' }],
  };
  return `${JSON.stringify(design, null, 2)}\n`;
}

/**
 * The service as main builds it, but with the lab's key, a private known_hosts, and the routing.
 * Events are kept in `events`, and handed to `send` too when given.
 */
export function labPushService<Window>(
  lab: SshLab,
  knownHosts = freshKnownHosts(),
  send?: (window: Window, event: PushEvent) => void,
) {
  const events: { window: Window; event: PushEvent }[] = [];
  const byPort = new Map(lab.hosts.map((host) => [host.port, host]));
  let connections = 0;
  const service = new PushService<Window>({
    send: (window, event) => {
      events.push({ window, event });
      send?.(window, event);
    },
    authentication: () => ({ identityFile: lab.identityFile }),
    knownHosts: { read: [knownHosts], write: knownHosts },
    connect: (options) => {
      connections += 1;
      if (!byPort.has(options.port)) throw new Error(`no lab host on port ${options.port}`);
      return SshConnection.open({ ...options, address: '127.0.0.1' });
    },
  });
  return { service, events, knownHosts, connections: () => connections };
}

/** A known_hosts path in a new temporary folder; the file does not exist yet. */
export function freshKnownHosts(): string {
  return join(temporaryFolderSync('topoforge-known-'), 'known_hosts');
}

/** The line of known_hosts for `host:port` as `ssh-keygen -F` finds it, or '' when it is not there. */
export function knownHostsEntry(file: string, address: string, port: number): string {
  try {
    return execFileSync('ssh-keygen', ['-F', `[${address}]:${port}`, '-f', file], { encoding: 'utf8' });
  } catch {
    return '';
  }
}
