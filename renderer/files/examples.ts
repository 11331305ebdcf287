/**
 * The seed designs shipped in examples/, offered by File › New from example. Each file is its own
 * chunk, loaded when picked.
 */

/** One example design. */
export interface Example {
  /** File name, e.g. `tealeaf-resilient.topo.json`. */
  fileName: string;
  title: string;
  /** One line on what it models. */
  summary: string;
  /** True for the variants with deliberate faults. */
  broken: boolean;
  load: () => Promise<string>;
}

const loaders = import.meta.glob<string>('../../examples/*.topo.json', { query: '?raw', import: 'default' });

const CATALOGUE: { base: string; title: string; summary: string }[] = [
  {
    base: 'teramind-ha',
    title: 'Teramind HA',
    summary: '2n+1 cluster of 5 nodes, HAProxy pair on a VIP, Redis + Sentinel',
  },
  {
    base: 'tealeaf-resilient',
    title: 'IBM Tealeaf',
    summary: 'PCA pairs, hot-standby HBR, N+1 processing, cold-standby reporting',
  },
  {
    base: 'tessera-ha',
    title: 'Tessera HA',
    summary: 'Two nodes behind an nginx pair with health checks, HA database',
  },
  {
    base: 'expertflow-two-sites',
    title: 'Expertflow two sites',
    summary: 'Two sites and an arbiter site, MongoDB PSA, external LB',
  },
  {
    base: 'helix-teamhub',
    title: 'Helix TeamHub',
    summary: 'Stateful web servers behind an SSL balancer pair, shared NFS',
  },
];

/** Every example, sound ones first, then the variants with faults. */
export const EXAMPLES: Example[] = [false, true].flatMap((broken) =>
  CATALOGUE.flatMap(({ base, title, summary }) => {
    const fileName = `${base}${broken ? '-broken' : ''}.topo.json`;
    const load = loaders[`../../examples/${fileName}`];
    if (!load) return [];
    return [{ fileName, title: broken ? `${title} (with faults)` : title, summary, broken, load }];
  }),
);
