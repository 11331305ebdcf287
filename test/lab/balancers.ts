/**
 * Runs a balancer's config file, unmodified, at its production path: nginx or HAProxy in the
 * foreground inside a private mount namespace, with tmpfs over the directories the daemon writes
 * (pid file, admin socket, logs, temp files), so nothing on the machine changes.
 */
import type { LabFiles } from './namespace';
import { prepareIsolated } from './namespace';
import { startProcess } from './processes';
import type { LabContext, LabProcess } from './processes';

/** The balancers Topoforge generates configs for. */
export type BalancerKind = 'nginx' | 'haproxy';

/** Where each kind's config goes, as the generators write it. */
export const BALANCER_CONFIG_PATHS: Record<BalancerKind, string> = {
  nginx: '/etc/nginx/nginx.conf',
  haproxy: '/etc/haproxy/haproxy.cfg',
};

/** Options for {@link startBalancer}. */
export interface BalancerOptions {
  /** Further files at absolute paths: certificates and keys. */
  files?: LabFiles;
  /** The test that owns the process (see {@link startProcess}). */
  context?: LabContext;
  /** Shown in errors; defaults to the kind. */
  name?: string;
}

/** Starts `kind` with `config` at its production path; it runs until stopped or its test ends. */
export function startBalancer(kind: BalancerKind, config: string, options: BalancerOptions = {}): LabProcess {
  const path = BALANCER_CONFIG_PATHS[kind];
  const files: LabFiles = { ...options.files, [path]: config };
  const prepared =
    kind === 'haproxy'
      ? prepareIsolated(['haproxy', '-db', '-f', path], {
          files: { ...files, '/run/haproxy/.lab': '' },
          tmpfs: ['/run'],
        })
      : prepareIsolated(['nginx', '-g', 'daemon off;', '-c', path], {
          files,
          tmpfs: ['/run', '/var/lib/nginx', '/var/log/nginx'],
        });
  return startProcess(prepared.command, prepared.args, {
    name: options.name ?? kind,
    context: options.context,
    cleanup: prepared.dispose,
  });
}
