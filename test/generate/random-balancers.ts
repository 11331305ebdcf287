/**
 * Random designs for the balancer generators' property tests (nginx, HAProxy): one or two
 * balancers on one or two hosts in front of one to four apps, with addresses of every kind the
 * lab can resolve. Each test file says what its own balancer service holds.
 */
import fc from 'fast-check';
import type { Design } from '../../core/model';
import { checkedDesign } from '../fixtures/examples';
import type { LabFiles } from '../lab/tools';

/** What every balancer has, whatever its kind: its host, its listeners and its links. */
interface BalancerPlacement {
  onSecondHost: boolean;
  listen: { port: number; protocol: string }[] | undefined;
  links: { app: number; port: number | undefined; backup: boolean }[];
}

/**
 * Random valid designs of `balancer-<n>` services behind lb-1 or lb-2 and `app-<n>` services on
 * hosts of their own. `ports` are the ports drawn anywhere; `balancer` draws what is particular
 * to one balancer and `service` turns it into that balancer's fields (besides id, host, listen),
 * given what `shared` drew once for the whole design.
 */
export function randomBalancerDesign<Spec, Shared = undefined>(options: {
  ports: readonly number[];
  balancer: (port: fc.Arbitrary<number>) => fc.Arbitrary<Spec>;
  shared?: fc.Arbitrary<Shared>;
  service: (spec: Spec, position: number, shared: Shared) => Record<string, unknown>;
}): fc.Arbitrary<Design> {
  const address = fc.oneof(
    fc.integer({ min: 1, max: 250 }).map((n) => `10.8.1.${n}`),
    fc.integer({ min: 1, max: 0xffff }).map((n) => `fd00::${n.toString(16)}`),
    fc.integer({ min: 1, max: 99 }).map((n) => `app-${n}.lab.test`),
  );
  const port = fc.constantFrom(...options.ports);
  const listener = fc.record({ port, protocol: fc.constantFrom('http', 'https', 'tcp') });
  const app = fc.record({
    port: fc.option(port, { nil: undefined }),
    healthCheck: fc.option(
      fc.record({
        path: fc.constantFrom('/', '/health', '/up?full=1&x=%20', '/a/b.json'),
        port: fc.option(port, { nil: undefined }),
        intervalMs: fc.option(fc.integer({ min: 100, max: 3_600_000 }), { nil: undefined }),
      }),
      { nil: undefined },
    ),
  });
  const placement: fc.Arbitrary<BalancerPlacement> = fc.record({
    onSecondHost: fc.boolean(),
    listen: fc.option(fc.array(listener, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    links: fc.array(
      fc.record({ app: fc.nat(), port: fc.option(port, { nil: undefined }), backup: fc.boolean() }),
      { maxLength: 6 },
    ),
  });
  const balancer = fc.record({ placement, own: options.balancer(port) });
  return fc
    .record({
      addresses: fc.uniqueArray(address, { minLength: 6, maxLength: 6 }),
      apps: fc.array(app, { minLength: 1, maxLength: 4 }),
      balancers: fc.array(balancer, { minLength: 1, maxLength: 2 }),
      shared: options.shared ?? (fc.constant(undefined) as fc.Arbitrary<Shared>),
    })
    .map(({ addresses, apps, balancers, shared }) => {
      const hosts = [
        { id: 'lb-1', address: addresses[0]! },
        { id: 'lb-2', address: addresses[1]! },
        ...apps.map((_app, position) => ({ id: `app-host-${position}`, address: addresses[position + 2]! })),
      ];
      const services = [
        ...balancers.map(({ placement: spec, own }, position) => ({
          id: `balancer-${position}`,
          host: spec.onSecondHost ? 'lb-2' : 'lb-1',
          ...(spec.listen ? { listen: spec.listen } : {}),
          ...options.service(own, position, shared),
        })),
        ...apps.map((spec, position) => ({
          id: `app-${position}`,
          kind: 'app',
          host: `app-host-${position}`,
          ...(spec.port === undefined ? {} : { port: spec.port }),
          ...(spec.healthCheck === undefined
            ? {}
            : {
                healthCheck: Object.fromEntries(
                  Object.entries(spec.healthCheck).filter(([, value]) => value !== undefined),
                ),
              }),
        })),
      ];
      const links = balancers.flatMap(({ placement: spec }, position) =>
        spec.links.map((link) => ({
          from: `balancer-${position}`,
          to: `app-${link.app % apps.length}`,
          ...(link.port === undefined ? {} : { port: link.port }),
          ...(link.backup ? { backup: true } : {}),
        })),
      );
      return checkedDesign({ format: 1, name: 'Random balancers', hosts, services, links });
    });
}

/** A hosts file mapping the design's DNS names, so the checking tool resolves them inside the lab namespace. */
export function hostsFileOf(design: Design): LabFiles {
  const names = design.hosts.filter((host) => /[a-z]/iu.test(host.address) && !host.address.includes(':'));
  if (names.length === 0) return {};
  const lines = names.map((host, position) => `10.99.0.${position + 1} ${host.address}`);
  return { '/etc/hosts': `127.0.0.1 localhost\n${lines.join('\n')}\n` };
}
