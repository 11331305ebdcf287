/** What the lab tests share: a small two-site design, and how to tell a process is gone. */
import { readFileSync } from 'node:fs';

/** Two sites, three hosts, one host on an interface of its own name. */
export const LAB_DESIGN = {
  format: 1,
  name: 'Lab test',
  sites: [{ id: 'east' }, { id: 'west' }],
  hosts: [
    { id: 'front-1', address: '10.77.0.11', site: 'east', interface: 'ens18' },
    { id: 'front-2', address: '10.77.0.12', site: 'east', interface: 'ens18' },
    { id: 'back-1', address: '10.77.1.11', site: 'west' },
  ],
  services: [
    { id: 'lb-a', kind: 'haproxy', host: 'front-1' },
    { id: 'lb-b', kind: 'haproxy', host: 'front-2' },
    { id: 'web', kind: 'app', host: 'back-1', port: 8080 },
  ],
  links: [
    { from: 'lb-a', to: 'web' },
    { from: 'lb-b', to: 'web' },
  ],
};

/**
 * Whether `pid` still runs. A killed lab process whose parent is this test worker stays a zombie
 * until Node reaps it: it holds no namespace, port or mount any more, so it counts as gone.
 */
export function isRunning(pid: number | string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
