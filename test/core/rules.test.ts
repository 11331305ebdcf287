import { describe, expect, it } from 'vitest';
import { RULES } from '../../core/rules/catalogue';
import { validateDesign } from '../../core/rules';
import type { Finding, RuleId } from '../../core/rules/catalogue';
import type { DesignInput } from './builders';
import { makeDesign } from './builders';

function findings(input: DesignInput, rule: RuleId): Finding[] {
  return validateDesign(makeDesign(input)).findings.filter((f) => f.rule === rule);
}

function fires(rule: RuleId, input: DesignInput): Finding {
  const found = findings(input, rule);
  expect(found, `${rule} should fire`).not.toHaveLength(0);
  expect(found[0]!.severity).toBe(RULES[rule].severity);
  return found[0]!;
}

function quiet(rule: RuleId, input: DesignInput): void {
  expect(findings(input, rule), `${rule} should stay quiet`).toEqual([]);
}

/** A quorum group of `n` app members, one per host, with optional sites per member. */
function quorum(n: number, options: { hosts?: string[]; sites?: string[] } = {}): DesignInput {
  const siteIds = [...new Set(options.sites ?? [])];
  return {
    sites: siteIds.length > 0 ? siteIds.map((id) => ({ id })) : undefined,
    hosts: Array.from({ length: n }, (_, i) => ({
      id: options.hosts?.[i] ?? `node-${i + 1}`,
      ...(options.sites ? { site: options.sites[i] } : {}),
    })).filter((h, i, all) => all.findIndex((o) => o.id === h.id) === i),
    services: Array.from({ length: n }, (_, i) => ({
      id: `member-${i + 1}`,
      kind: 'app',
      host: options.hosts?.[i] ?? `node-${i + 1}`,
      port: 8080 + i,
      group: 'cluster',
    })),
    groups: [{ id: 'cluster', kind: 'quorum' }],
  };
}

/** A balancer (or two behind a vip) in front of apps. */
function balanced(options: {
  balancers?: { id: string; host: string; site?: string }[];
  apps?: Record<string, unknown>[];
  via?: 'direct' | 'vip';
  sites?: string[];
}): DesignInput {
  const balancers = options.balancers ?? [{ id: 'lb-a', host: 'lb-1' }];
  const apps = options.apps ?? [
    { id: 'app-a', kind: 'app', host: 'app-1', healthCheck: { path: '/health' } },
    { id: 'app-b', kind: 'app', host: 'app-2', healthCheck: { path: '/health' } },
  ];
  return {
    sites: options.sites?.map((id) => ({ id })),
    hosts: [
      ...balancers.map((b) => ({ id: b.host, ...(b.site ? { site: b.site } : {}) })),
      ...apps.map((a) => ({ id: String(a.host), ...(options.sites ? { site: options.sites[0] } : {}) })),
    ].filter((h, i, all) => all.findIndex((o) => o.id === h.id) === i),
    services: [...balancers.map((b) => ({ id: b.id, kind: 'haproxy', host: b.host })), ...apps],
    links: balancers.flatMap((b) => apps.map((a) => ({ from: b.id, to: a.id, port: 8080 }))),
    entrypoints: [
      {
        id: 'web',
        port: 80,
        targets: balancers.map((b) => b.id),
        via: options.via ?? 'direct',
        ...(options.via === 'vip' ? { address: '10.9.9.9' } : {}),
      },
    ],
  };
}

const pair = [
  { id: 'lb-a', host: 'lb-1' },
  { id: 'lb-b', host: 'lb-2' },
];

describe('rules: voting groups', () => {
  it('quorum.even fires at four voters and clears at five', () => {
    const finding = fires('quorum.even', quorum(4));
    expect(finding.subjects).toEqual(['cluster']);
    expect(finding.message).toContain('4 voters');
    expect(finding.message).toMatch(/add .* to make 5/);
    quiet('quorum.even', quorum(5));
  });

  it('quorum.too-small fires below three voters', () => {
    expect(fires('quorum.too-small', quorum(1)).message).toContain('at least 3');
    fires('quorum.too-small', quorum(2));
    quiet('quorum.too-small', quorum(3));
    // No voters at all is too small, not "an even number".
    expect(fires('quorum.too-small', quorum(0)).message).toContain('has 0 voters');
    quiet('quorum.even', quorum(0));
  });

  it('quorum.same-host fires when two voters share a host', () => {
    const finding = fires('quorum.same-host', quorum(3, { hosts: ['node-1', 'node-1', 'node-2'] }));
    expect(finding.subjects).toEqual(['member-1', 'member-2', 'node-1', 'cluster']);
    quiet('quorum.same-host', quorum(3));
  });

  it('quorum.site-majority fires when one site holds half or more of the voters', () => {
    const finding = fires('quorum.site-majority', quorum(3, { sites: ['east', 'east', 'west'] }));
    expect(finding.subjects).toEqual(['east', 'cluster']);
    expect(finding.message).toContain('third site');
    quiet('quorum.site-majority', quorum(3, { sites: ['east', 'west', 'north'] }));
  });

  it('quorum.site-majority stays quiet in a design with one site', () => {
    quiet('quorum.site-majority', quorum(3, { sites: ['east', 'east', 'east'] }));
  });
});

describe('rules: single points of failure', () => {
  it('spof.host names the host, then the entrypoint, and says why', () => {
    const finding = fires('spof.host', balanced({}));
    expect(finding.subjects).toEqual(['lb-1', 'web']);
    expect(finding.message).toContain('web is down: lb-a is down with host lb-1');
    quiet('spof.host', balanced({ balancers: pair }));
  });

  it('spof.site fires only in designs that span two sites', () => {
    const oneSideOnly = balanced({
      balancers: [
        { id: 'lb-a', host: 'lb-1', site: 'east' },
        { id: 'lb-b', host: 'lb-2', site: 'east' },
      ],
      sites: ['east', 'west'],
    });
    oneSideOnly.hosts!.push({ id: 'spare', site: 'west' });
    oneSideOnly.services.push({ id: 'spare-app', kind: 'app', host: 'spare' });
    expect(fires('spof.site', oneSideOnly).subjects).toEqual(['east', 'web']);
    quiet('spof.site', balanced({ balancers: pair }));
  });

  it('failover.manual fires when only a cold standby is left', () => {
    const design: DesignInput = {
      services: [
        { id: 'rep-a', kind: 'reporting', host: 'rep-1' },
        { id: 'rep-b', kind: 'reporting', host: 'rep-2', mode: 'cold-standby' },
      ],
      entrypoints: [{ id: 'portal', port: 443, targets: ['rep-a', 'rep-b'], via: 'direct' }],
    };
    const finding = fires('failover.manual', design);
    expect(finding.subjects).toEqual(['rep-1', 'portal']);
    expect(finding.message).toContain('rep-b is a cold standby');
    design.services[1]!.mode = 'hot-standby';
    quiet('failover.manual', design);
  });

  it('link.cycle names every service of the cycle', () => {
    const design: DesignInput = {
      services: [
        { id: 'a', kind: 'app', host: 'h1' },
        { id: 'b', kind: 'app', host: 'h2' },
      ],
      links: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
      ],
    };
    expect(fires('link.cycle', design).subjects).toEqual(['a', 'b']);
    design.links!.pop();
    quiet('link.cycle', design);
  });
});

describe('rules: tiers', () => {
  const pool = (capacities: number[], load: number): DesignInput => ({
    services: capacities.map((capacity, i) => ({
      id: `proc-${i + 1}`,
      kind: 'processing',
      host: `proc-host-${i + 1}`,
      capacity,
      group: 'processing',
    })),
    groups: [{ id: 'processing', kind: 'pool', load }],
  });

  it('capacity.n-plus-1 fires when the pool cannot lose its largest member', () => {
    const finding = fires('capacity.n-plus-1', pool([2, 2], 4));
    expect(finding.message).toContain('add capacity of at least 2');
    quiet('capacity.n-plus-1', pool([2, 2, 2], 4));
  });

  it('capture.delivery-peers fires with one delivery peer and clears with a standby router', () => {
    const design: DesignInput = {
      services: [
        { id: 'pca-1', kind: 'capture', host: 'pca-host', delivery: 'failover' },
        { id: 'hbr-a', kind: 'router', host: 'hbr-1' },
        { id: 'hbr-b', kind: 'router', host: 'hbr-2', mode: 'hot-standby' },
      ],
      links: [{ from: 'pca-1', to: 'hbr-a', port: 1966 }],
    };
    expect(fires('capture.delivery-peers', design).subjects).toEqual(['pca-1']);
    design.links!.push({ from: 'pca-1', to: 'hbr-b', port: 1966, backup: true });
    quiet('capture.delivery-peers', design);
  });

  it('reporting.single-active fires when two reporting servers are active', () => {
    const design: DesignInput = {
      services: [
        { id: 'rep-a', kind: 'reporting', host: 'rep-1' },
        { id: 'rep-b', kind: 'reporting', host: 'rep-2' },
      ],
    };
    expect(fires('reporting.single-active', design).subjects).toEqual(['rep-a', 'rep-b']);
    design.services[1]!.mode = 'cold-standby';
    quiet('reporting.single-active', design);
  });

  it('storage.shared-missing fires until every stateful app uses one storage', () => {
    const apps = [
      { id: 'web-a', kind: 'app', host: 'web-1', stateful: true, healthCheck: { path: '/' } },
      { id: 'web-b', kind: 'app', host: 'web-2', stateful: true, healthCheck: { path: '/' } },
    ];
    const design = balanced({ balancers: pair, apps });
    expect(fires('storage.shared-missing', design).subjects).toEqual(['web-a', 'web-b', 'lb-a']);

    design.services.push(
      { id: 'nfs-1', kind: 'storage', type: 'nfs', ha: true },
      { id: 'nfs-2', kind: 'storage', type: 'nfs', ha: true },
    );
    design.links!.push({ from: 'web-a', to: 'nfs-1' }, { from: 'web-b', to: 'nfs-2' });
    fires('storage.shared-missing', design);

    design.links!.push({ from: 'web-b', to: 'nfs-1' });
    quiet('storage.shared-missing', design);
  });

  it('lb.health-check fires for an app behind a balancer without a healthCheck', () => {
    const bare = balanced({ balancers: pair, apps: [{ id: 'app-a', kind: 'app', host: 'app-1' }] });
    const finding = fires('lb.health-check', bare);
    expect(finding.subjects).toEqual(['app-a', 'lb-a']);
    expect(finding.message).toContain('healthCheck');
    quiet('lb.health-check', balanced({ balancers: pair }));
  });
});

describe('rules: MongoDB', () => {
  const replicaSet = (members: Record<string, unknown>[]): DesignInput => ({
    services: members.map((m, i) => ({
      id: `m${i + 1}`,
      host: `db-${i + 1}`,
      group: 'rs0',
      kind: 'mongodb',
      ...m,
    })),
    groups: [{ id: 'rs0', kind: 'mongodb-replica-set' }],
  });
  const data = (n: number, extra: Record<string, unknown> = {}) =>
    Array.from({ length: n }, () => ({ ...extra }));

  it('mongodb.voting-max fires above seven voting members', () => {
    fires('mongodb.voting-max', replicaSet(data(8)));
    quiet('mongodb.voting-max', replicaSet([...data(7), { priority: 0, votes: 0 }]));
  });

  it('mongodb.members-max fires above fifty members', () => {
    fires('mongodb.members-max', replicaSet([...data(7), ...data(44, { priority: 0, votes: 0 })]));
    quiet('mongodb.members-max', replicaSet([...data(7), ...data(43, { priority: 0, votes: 0 })]));
  });

  it('mongodb.arbiters fires with two arbiters', () => {
    fires('mongodb.arbiters', replicaSet([...data(3), { kind: 'arbiter' }, { kind: 'arbiter' }]));
    quiet('mongodb.arbiters', replicaSet([...data(2), { kind: 'arbiter' }]));
  });

  it('mongodb.no-electable fires when no data member can become primary', () => {
    fires('mongodb.no-electable', replicaSet(data(3, { priority: 0 })));
    quiet('mongodb.no-electable', replicaSet([{ priority: 2 }, ...data(2, { priority: 0 })]));
  });

  it('mongodb.member fires for priority without a vote and for a hidden electable member', () => {
    expect(fires('mongodb.member', replicaSet([...data(3), { priority: 1, votes: 0 }])).subjects).toEqual([
      'm4',
      'rs0',
    ]);
    expect(
      fires('mongodb.member', replicaSet([...data(2), { hidden: true, priority: 1 }])).message,
    ).toContain('hidden');
    quiet('mongodb.member', replicaSet([...data(3), { hidden: true, priority: 0, votes: 0 }]));
  });

  it('mongodb.arbiter-host fires when an arbiter shares a data member host', () => {
    const design = replicaSet([...data(2), { kind: 'arbiter' }]);
    design.services[2]!.host = 'db-1';
    expect(fires('mongodb.arbiter-host', design).subjects).toEqual(['m3', 'm1', 'db-1', 'rs0']);
    quiet('mongodb.arbiter-host', replicaSet([...data(2), { kind: 'arbiter' }]));
  });

  it('mongodb.psa informs that a primary-secondary-arbiter set needs an explicit write concern', () => {
    const finding = fires('mongodb.psa', replicaSet([...data(2), { kind: 'arbiter' }]));
    expect(finding.severity).toBe('info');
    expect(finding.message).toContain('w:1');
    quiet('mongodb.psa', replicaSet(data(3)));
  });
});

describe('rules: Redis and Sentinel', () => {
  const sentinelGroup = (options: {
    primaries: number;
    sentinelHosts?: string[];
    quorum?: number;
  }): DesignInput => ({
    services: [
      ...[0, 1, 2].map((i) => ({
        id: `redis-${i + 1}`,
        kind: 'redis',
        host: `cache-${i + 1}`,
        group: 'cache',
        ...(i < options.primaries ? { primary: true } : {}),
      })),
      ...(options.sentinelHosts ?? ['cache-1', 'cache-2', 'cache-3']).map((host, i) => ({
        id: `sentinel-${i + 1}`,
        kind: 'sentinel',
        host,
        group: 'cache',
      })),
    ],
    groups: [
      {
        id: 'cache',
        kind: 'redis-sentinel',
        ...(options.quorum === undefined ? {} : { quorum: options.quorum }),
      },
    ],
  });

  it('redis.primary fires without a primary and with two', () => {
    expect(fires('redis.primary', sentinelGroup({ primaries: 0 })).message).toContain('no primary');
    expect(fires('redis.primary', sentinelGroup({ primaries: 2 })).subjects).toEqual([
      'redis-1',
      'redis-2',
      'cache',
    ]);
    quiet('redis.primary', sentinelGroup({ primaries: 1 }));
  });

  it('redis.sentinel-quorum fires for a quorum of 0 or above the sentinel count', () => {
    fires('redis.sentinel-quorum', sentinelGroup({ primaries: 1, quorum: 0 }));
    expect(fires('redis.sentinel-quorum', sentinelGroup({ primaries: 1, quorum: 4 })).message).toContain(
      'between 1 and 3',
    );
    quiet('redis.sentinel-quorum', sentinelGroup({ primaries: 1, quorum: 2 }));
  });

  it('redis.sentinel-host fires when two sentinels share a host', () => {
    const finding = fires(
      'redis.sentinel-host',
      sentinelGroup({ primaries: 1, sentinelHosts: ['cache-1', 'cache-1', 'cache-3'] }),
    );
    expect(finding.subjects).toEqual(['sentinel-1', 'sentinel-2', 'cache-1', 'cache']);
    quiet('redis.sentinel-host', sentinelGroup({ primaries: 1 }));
  });
});

describe('rules: network', () => {
  it('net.port-conflict fires when two services on one host claim a port, defaults included', () => {
    const design: DesignInput = {
      services: [
        { id: 'front', kind: 'nginx', host: 'edge' },
        { id: 'balancer', kind: 'haproxy', host: 'edge' },
      ],
    };
    const finding = fires('net.port-conflict', design);
    expect(finding.subjects).toEqual(['front', 'balancer', 'edge']);
    expect(finding.message).toContain('port 80');
    design.services[1]!.listen = [{ port: 8443, protocol: 'tcp' }];
    quiet('net.port-conflict', design);
  });

  it('keepalived.priority fires when the balancers of a vip share a host', () => {
    const shared = balanced({
      balancers: [
        { id: 'lb-a', host: 'lb-1' },
        { id: 'lb-b', host: 'lb-1' },
      ],
      via: 'vip',
    });
    shared.services[1]!.listen = [{ port: 81, protocol: 'http' }];
    expect(fires('keepalived.priority', shared).message).toContain('share host lb-1');
    quiet('keepalived.priority', balanced({ balancers: pair, via: 'vip' }));
  });

  it('keepalived.priority fires for a vip with a single balancer', () => {
    expect(fires('keepalived.priority', balanced({ via: 'vip' })).message).toContain('nowhere to move');
  });

  it('vip.sites fires when the balancers of a vip are in different sites', () => {
    const split = balanced({
      balancers: [
        { id: 'lb-a', host: 'lb-1', site: 'east' },
        { id: 'lb-b', host: 'lb-2', site: 'west' },
      ],
      via: 'vip',
      sites: ['east', 'west'],
    });
    expect(fires('vip.sites', split).subjects).toEqual(['web', 'lb-a', 'lb-b']);
    quiet(
      'vip.sites',
      balanced({
        balancers: [
          { id: 'lb-a', host: 'lb-1', site: 'east' },
          { id: 'lb-b', host: 'lb-2', site: 'east' },
        ],
        via: 'vip',
        sites: ['east', 'west'],
      }),
    );
    // Site findings need hosts in two or more sites: one site and a host without one is not that.
    quiet(
      'vip.sites',
      balanced({
        balancers: [
          { id: 'lb-a', host: 'lb-1', site: 'east' },
          { id: 'lb-b', host: 'lb-2' },
        ],
        via: 'vip',
        sites: ['east'],
      }),
    );
  });
});

describe('rules: findings as a whole', () => {
  it('come out errors first, then warnings, then info, the same on every run', () => {
    const design = makeDesign({
      services: [
        { id: 'm1', kind: 'mongodb', host: 'db-1', group: 'rs0' },
        { id: 'm2', kind: 'mongodb', host: 'db-2', group: 'rs0' },
        { id: 'arb', kind: 'arbiter', host: 'db-2', group: 'rs0' },
        { id: 'lb', kind: 'nginx', host: 'lb-1' },
        { id: 'api', kind: 'app', host: 'api-1' },
      ],
      groups: [{ id: 'rs0', kind: 'mongodb-replica-set' }],
      links: [
        { from: 'lb', to: 'api', port: 8080 },
        { from: 'api', to: 'rs0' },
      ],
      entrypoints: [{ id: 'web', port: 80, targets: ['lb'], via: 'direct' }],
    });
    const first = validateDesign(design).findings;
    const rank = { error: 0, warning: 1, info: 2 };
    expect(first.map((f) => rank[f.severity])).toEqual([...first.map((f) => rank[f.severity])].sort());
    expect(validateDesign(design).findings).toEqual(first);
    expect(first.map((f) => f.rule)).toEqual(
      expect.arrayContaining([
        'spof.host',
        'lb.health-check',
        'mongodb.arbiter-host',
        'mongodb.psa',
        'quorum.same-host',
      ]),
    );
  });

  it('give every finding a message that ends with a fix', () => {
    const design = makeDesign(quorum(4, { hosts: ['n1', 'n1', 'n2', 'n3'] }));
    for (const finding of validateDesign(design).findings) {
      expect(finding.message).toMatch(/: [a-z].*\.$/);
    }
  });
});
