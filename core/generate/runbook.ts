/**
 * The bundle's README.md: what is in it, the order to apply it, and every step a person must
 * take (replica-set initiation, the cold-standby runbook, what to do when a site is lost). Written
 * from the design, the files generated for it, and the same availability evaluation the checks use.
 */
import { validateDesign } from '../rules';
import { mongoPriorityOf } from '../model';
import type { Service } from '../model';
import { bundlePathOf } from './bundle';
import type { BundleFile } from './bundle';
import type { GenerationContext } from './context';
import { markdownCode, markdownText } from './quote';
import { MONGODB_ADMIN_PASSWORD_VARIABLE, MONGODB_ADMIN_USER, initStepOf } from './mongodb';
import { secretFilesOf } from './secrets';
import { prerequisiteMarkdown, prerequisitesOf } from '../prerequisites';
import { renderTemplate } from './render';

interface HostSection {
  id: string;
  address: string;
  site: string | null;
  files: { bundlePath: string; path: string; check: string; reload: string; policy: string }[];
}

interface RunbookView {
  name: string;
  description: string | null;
  fileCount: number;
  hosts: HostSection[];
  steps: { title: string; lines: string[] }[];
  /** Per host, in the order of the steps, what a person provides before the first push. */
  prerequisites: { host: string; lines: string[] }[];
  replicaSets: { id: string; script: string; host: string | null; command: string; psa: boolean }[];
  administrator: { user: string; passwordVariable: string };
  /** mongods in no replica set with access control on: their first user is created by hand. */
  standaloneMongods: { service: string; host: string }[];
  secrets: {
    files: { host: string; path: string; owner: string; mode: string; holds: string }[];
    scopes: string[];
  } | null;
  coldStandbys: {
    service: string;
    host: string;
    unit: string | null;
    replaces: string;
    entrypoints: string;
  }[];
  siteLosses: { site: string; outcomes: string[] }[];
  createOnly: string[];
  findings: { severity: string; rule: string; message: string }[];
}

/** Generates README.md at the root of the bundle. */
export function generateRunbook(context: GenerationContext, files: readonly BundleFile[]): BundleFile[] {
  const { index } = context;
  const design = index.design;
  const hostFiles = files.filter((f) => f.host !== undefined);
  const filesByHost = new Map<string, BundleFile[]>();
  for (const file of hostFiles) {
    const list = filesByHost.get(file.host!);
    if (list) list.push(file);
    else filesByHost.set(file.host!, [file]);
  }
  // Unit file names per host, and the folder's own files by path: looked up per service and set.
  const unitsByHost = new Map<string, Set<string>>();
  for (const file of hostFiles) {
    if (!file.path.endsWith('.service')) continue;
    const units = unitsByHost.get(file.host!) ?? new Set<string>();
    units.add(file.path.slice(file.path.lastIndexOf('/') + 1));
    unitsByHost.set(file.host!, units);
  }
  const folderFiles = new Map(files.filter((f) => f.host === undefined).map((f) => [f.path, f]));

  const hosts: HostSection[] = design.hosts
    .filter((h) => filesByHost.has(h.id))
    .map((h) => ({
      id: h.id,
      address: h.address,
      site: h.site ?? null,
      files: filesByHost.get(h.id)!.map((f) => ({
        bundlePath: bundlePathOf(f),
        path: markdownCode(f.path, true),
        check: f.check === undefined ? '' : markdownCode(f.check, true),
        reload: f.reload === undefined ? '' : markdownCode(f.reload, true),
        policy: f.policy,
      })),
    }));

  const unitOf = (service: Service): string | null =>
    unitsByHost.get(service.host ?? '')?.has(`${service.id}.service`) ? `${service.id}.service` : null;

  const { findings, model } = validateDesign(index);
  const replicaSets = (design.groups ?? [])
    .filter((g) => g.kind === 'mongodb-replica-set')
    .flatMap((group) => {
      const script = folderFiles.get(`scripts/mongodb-${group.id}-init.js`);
      if (!script) return [];
      const step = initStepOf(index, group);
      return [
        {
          id: group.id,
          script: script.path,
          host: step?.host ?? null,
          command: step?.command ?? `mongosh --file ${script.path}`,
          psa: findings.some((f) => f.rule === 'mongodb.psa' && f.subjects[0] === group.id),
        },
      ];
    });

  const standaloneMongods = design.services
    .filter(
      (service) =>
        service.kind === 'mongodb' &&
        service.host !== undefined &&
        service.auth !== false &&
        index.groups.get(service.group ?? '')?.kind !== 'mongodb-replica-set',
    )
    .map((service) => ({ service: service.id, host: service.host! }));

  const secretFiles = secretFilesOf(index).filter((file) => filesByHost.has(file.host));

  // Per target and per role, once: a design with many cold standbys looks each one up.
  const entrypointsOf = new Map<string, typeof index.entrypoints>();
  for (const entrypoint of index.entrypoints)
    for (const target of new Set(entrypoint.targets)) {
      const list = entrypointsOf.get(target);
      if (list) list.push(entrypoint);
      else entrypointsOf.set(target, [entrypoint]);
    }
  const activeByRole = new Map<string, string[]>();
  for (const s of design.services) {
    if (s.mode === 'cold-standby') continue;
    const list = activeByRole.get(roleOf(s));
    if (list) list.push(s.id);
    else activeByRole.set(roleOf(s), [s.id]);
  }
  const coldStandbys = design.services
    .filter((s) => s.mode === 'cold-standby' && s.host !== undefined)
    .map((service) => {
      const entrypoints = entrypointsOf.get(service.id) ?? [];
      // What it stands in for: its fellow targets, else the active services of its kind.
      let partners = [...new Set(entrypoints.flatMap((e) => e.targets))].filter((t) => t !== service.id);
      if (partners.length === 0) partners = activeByRole.get(roleOf(service)) ?? [];
      return {
        service: service.id,
        host: service.host!,
        unit: unitOf(service),
        replaces: partners.length > 0 ? partners.map((p) => `\`${p}\``).join(', ') : 'the active instance',
        entrypoints: entrypoints.map((e) => e.id).join(', '),
      };
    });

  const siteLosses = index.multiSite
    ? [...index.sites.keys()]
        .filter((site) => index.hostsBySite.has(site))
        .map((site) => {
          const evaluation = model.evaluate([site]);
          return {
            site,
            outcomes: evaluation
              .entrypoints()
              .filter((e) => e.state !== 'up' || e.degraded)
              .map((e) => markdownText(evaluation.explain(e.id))),
          };
        })
    : [];

  const steps = applicationOrder(context, hostFiles);
  const view: RunbookView = {
    name: markdownText(design.name),
    description: design.description ? markdownText(design.description) : null,
    // Every file of the folder, as `topoforge generate` counts them: these, this README and manifest.json.
    fileCount: files.length + 2,
    hosts,
    steps,
    prerequisites: prerequisitesByHost(context, hostFiles, steps),
    replicaSets,
    coldStandbys,
    siteLosses,
    administrator: { user: MONGODB_ADMIN_USER, passwordVariable: MONGODB_ADMIN_PASSWORD_VARIABLE },
    standaloneMongods,
    secrets:
      secretFiles.length === 0
        ? null
        : {
            files: secretFiles.map((file) => ({
              host: file.host,
              path: file.path,
              owner: file.owner,
              mode: file.mode,
              holds: file.secrets.map((name) => `${file.scope}/${name}`).join(', '),
            })),
            scopes: [...new Set(secretFiles.map((file) => file.scope))],
          },
    createOnly: hostFiles.filter((f) => f.policy === 'create-only').map((f) => markdownCode(bundlePathOf(f))),
    findings: findings
      .filter((f) => f.severity !== 'error')
      .map((f) => ({ severity: f.severity, rule: f.rule, message: markdownText(f.message) })),
  };
  return [
    {
      path: 'README.md',
      content: renderTemplate('bundle/README.md', view),
      mode: '0644',
      policy: 'replace',
    },
  ];
}

/** What a service stands in for: services of one role can replace each other (kind, and engine). */
function roleOf(service: Service): string {
  return service.kind === 'database' ? `database ${service.engine}` : service.kind;
}

/**
 * How late a data host goes in a roll-out: arbiters and secondaries first, the primary (the
 * highest-priority MongoDB member, the primary redis) last, so a roll-out costs one election at most.
 */
function primaryRank(index: GenerationContext['index'], host: string): number {
  let rank = 0;
  for (const service of index.servicesByHost.get(host) ?? []) {
    if (service.kind === 'mongodb') rank = Math.max(rank, 1 + mongoPriorityOf(service));
    if (service.kind === 'redis' && service.primary === true) rank = Math.max(rank, 2000);
  }
  return rank;
}

/**
 * The order to apply the bundle in: storage first, then data services (one voting member at a
 * time), then applications, then balancers, then the floating addresses that point at them.
 */
/**
 * The prerequisites of each host (core/prerequisites.ts), hosts in the order the steps name them
 * first, then the others in design order.
 */
function prerequisitesByHost(
  context: GenerationContext,
  files: readonly BundleFile[],
  steps: { lines: string[] }[],
): { host: string; lines: string[] }[] {
  const byHost = new Map<string, string[]>();
  for (const prerequisite of prerequisitesOf(context.index, files)) {
    const lines = byHost.get(prerequisite.host) ?? [];
    lines.push(prerequisiteMarkdown(prerequisite));
    byHost.set(prerequisite.host, lines);
  }
  const order = [
    ...steps.flatMap((step) => step.lines.map((line) => line.slice(0, line.indexOf(':')))),
    ...context.index.design.hosts.map((host) => host.id as string),
  ];
  return [...new Set(order)].flatMap((host) => {
    const lines = byHost.get(host);
    return lines === undefined ? [] : [{ host, lines }];
  });
}

function applicationOrder(
  context: GenerationContext,
  files: readonly BundleFile[],
): { title: string; lines: string[] }[] {
  const { index } = context;
  const hostOrder = new Map(index.design.hosts.map((h, i) => [h.id as string, i]));
  const hostsWith = (test: (f: BundleFile) => boolean) =>
    [...new Set(files.filter(test).map((f) => f.host!))].sort(
      (a, b) => hostOrder.get(a)! - hostOrder.get(b)!,
    );
  const steps: { title: string; lines: string[] }[] = [];
  const add = (title: string, hosts: string[], what: string) => {
    if (hosts.length > 0) steps.push({ title, lines: hosts.map((h) => `${h}: ${what}`) });
  };
  add(
    'Shared storage',
    hostsWith((f) => f.path.endsWith('.mount')),
    'install the .mount unit, then `systemctl daemon-reload && systemctl enable --now` it',
  );
  add(
    'Data services, one host at a time (secondaries and arbiters before the primary)',
    hostsWith((f) => /\/(mongod|redis|sentinel)[^/]*\.conf$/.test(f.path)).sort(
      (a, b) => primaryRank(index, a) - primaryRank(index, b),
    ),
    'install the config and its unit, start it, and wait until it has rejoined its group before the next host',
  );
  add(
    'Application services',
    hostsWith(
      (f) =>
        f.path.startsWith('/etc/systemd/system/') &&
        f.path.endsWith('.service') &&
        !/(mongod|redis|sentinel)/.test(f.path),
    ),
    'install the unit, `systemctl daemon-reload`, start it',
  );
  add(
    'Load balancers, one at a time per entrypoint',
    hostsWith((f) => f.path === '/etc/nginx/nginx.conf' || f.path === '/etc/haproxy/haproxy.cfg'),
    'check the config with its check command, install it, reload',
  );
  add(
    'Floating addresses',
    hostsWith((f) => f.path === '/etc/keepalived/keepalived.conf'),
    'install keepalived.conf and reload keepalived last, once the balancers serve',
  );
  return steps;
}
