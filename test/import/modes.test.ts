/**
 * Service modes recovered where the configs say them (docs/import.md): a unit that is installed but
 * not enabled is a cold standby (a bundle's manifest says so by the unit's reload; a collected host
 * by its `*.wants/` entries), and a server that balancers only ever send traffic as `backup` is a
 * hot standby. Where nothing says it, no mode is guessed.
 */
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../../core/import/build-design';
import { validateDesign } from '../../core/rules';
import { checkedDesign } from '../fixtures/examples';
import { bundleFolder } from './bundle-folder';

/** Two reporting servers (one a cold standby) and two apps behind nginx, one only as `backup`. */
const design = checkedDesign({
  format: 1,
  name: 'Modes',
  hosts: [
    { id: 'lb', address: '10.0.0.10' },
    { id: 'web-1', address: '10.0.0.11' },
    { id: 'web-2', address: '10.0.0.12' },
  ],
  services: [
    { id: 'edge', kind: 'nginx', host: 'lb', listen: [{ port: 80, protocol: 'http' }] },
    { id: 'shop-1', kind: 'app', host: 'web-1', port: 8000, command: '/opt/shop/bin/shop' },
    {
      id: 'shop-2',
      kind: 'app',
      host: 'web-2',
      port: 8000,
      command: '/opt/shop/bin/shop',
      mode: 'hot-standby',
    },
    { id: 'portal-1', kind: 'reporting', host: 'web-1', port: 9000, command: '/opt/portal/bin/portal' },
    {
      id: 'portal-2',
      kind: 'reporting',
      host: 'web-2',
      port: 9000,
      command: '/opt/portal/bin/portal',
      mode: 'cold-standby',
    },
  ],
  links: [
    { from: 'edge', to: 'shop-1', port: 8000 },
    { from: 'edge', to: 'shop-2', port: 8000, backup: true },
  ],
  entrypoints: [
    { id: 'shop', port: 80, targets: ['edge'], via: 'direct' },
    { id: 'portal', port: 9000, targets: ['portal-1', 'portal-2'], via: 'direct' },
  ],
});

const modeOf = (services: readonly { id: string; mode?: string }[]) =>
  Object.fromEntries(services.map((service) => [service.id, service.mode ?? 'active']));

describe('service modes in an import', () => {
  it('come back from a generated bundle: the cold standby from its unit, the hot one from backup', () => {
    const result = buildDesign(bundleFolder(design));
    expect(result.problems).toEqual([]);
    expect(modeOf(result.design.services)).toEqual({
      edge: 'active',
      'shop-1': 'active',
      'shop-2': 'hot-standby',
      'portal-1': 'active',
      'portal-2': 'cold-standby',
    });
    // The mode is what makes the portal wait for a person when web-1 fails. No config says how
    // clients reach the portals (a direct entrypoint): with it added back, failover.manual fires.
    const withPortal = checkedDesign({
      ...result.design,
      entrypoints: [
        ...(result.design.entrypoints ?? []),
        { id: 'portal', port: 9000, targets: ['portal-1', 'portal-2'], via: 'direct' },
      ],
    });
    const rules = validateDesign(withPortal).findings.map(
      (finding) => `${finding.rule} ${finding.subjects.join(',')}`,
    );
    expect(rules.filter((rule) => rule.startsWith('failover.manual'))).toEqual(
      validateDesign(design)
        .findings.filter((finding) => finding.rule === 'failover.manual')
        .map((finding) => `${finding.rule} ${finding.subjects.join(',')}`),
    );
    expect(rules.some((rule) => rule.startsWith('failover.manual'))).toBe(true);
  });

  it('read a collected host’s *.wants/ entries: a unit none names is a cold standby', () => {
    const unit = (command: string) => `[Unit]\nDescription=x\n[Service]\nExecStart=${command}\n`;
    const result = buildDesign([
      { path: 'hosts/web-1/etc/systemd/system/shop.service', text: unit('/opt/shop/bin/shop') },
      { path: 'hosts/web-1/etc/systemd/system/portal.service', text: unit('/opt/portal/bin/portal') },
      {
        path: 'hosts/web-1/etc/systemd/system/multi-user.target.wants/shop.service',
        text: '/etc/systemd/system/shop.service\n',
      },
      {
        path: 'hosts/web-1/etc/systemd/system/multi-user.target.wants/ssh.service',
        text: '/lib/systemd/system/ssh.service\n',
      },
      // A host whose enabled units were not recorded (an older folder): nothing is guessed.
      { path: 'hosts/web-2/etc/systemd/system/portal.service', text: unit('/opt/portal/bin/portal') },
    ]);
    expect(result.problems).toEqual([]);
    expect(
      result.design.services.map((service) => `${service.host} ${service.id} ${service.mode ?? 'active'}`),
    ).toEqual(['web-1 portal cold-standby', 'web-1 shop active', 'web-2 portal-2 active']);
    // The entries are facts about units, not configs: none is listed as unused.
    expect(result.unused.filter((item) => item.file.includes('.wants/'))).toEqual([]);
  });
});
