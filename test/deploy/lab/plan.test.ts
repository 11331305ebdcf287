/**
 * The lab plan: what the lab of a design will be made of, decided before the machine is touched,
 * and the designs it refuses with the path of what is in the way.
 */
import { describe, expect, it } from 'vitest';
import { LabPlanError, planLab } from '../../../deploy/lab/plan';
import { labUnsupportedReason } from '../../../deploy/lab/system';
import { checkedDesign, exampleFiles, loadExample } from '../../fixtures/examples';

const twoSites = checkedDesign({
  format: 1,
  name: 'Two sites',
  sites: [{ id: 'east' }, { id: 'west' }],
  hosts: [
    { id: 'lb-1', address: '10.9.0.11', site: 'east', interface: 'ens18' },
    { id: 'lb-2', address: '10.9.0.12', site: 'east', interface: 'ens18' },
    { id: 'app-1', address: '10.9.1.11', site: 'west' },
    { id: 'tool-1', address: '10.9.2.11' },
  ],
  services: [
    { id: 'lb-a', kind: 'haproxy', host: 'lb-1' },
    { id: 'lb-b', kind: 'haproxy', host: 'lb-2' },
    { id: 'web', kind: 'app', host: 'app-1' },
  ],
  entrypoints: [
    { id: 'portal', port: 80, targets: ['lb-a', 'lb-b'], via: 'vip', address: '10.9.0.10' },
    { id: 'portal-again', port: 81, targets: ['lb-a', 'lb-b'], via: 'vip', address: '10.9.0.10' },
  ],
});

describe('the lab plan', () => {
  it('puts the hosts of a site on one segment, with their design address and interface', () => {
    const plan = planLab(twoSites, 'abc123');
    expect(plan.segments.map((segment) => [segment.site, segment.hosts])).toEqual([
      ['east', ['lb-1', 'lb-2']],
      ['west', ['app-1']],
      [undefined, ['tool-1']],
    ]);
    const lb = plan.hosts.find((host) => host.id === 'lb-1')!;
    expect(lb).toMatchObject({
      address: '10.9.0.11',
      interface: 'ens18',
      namespace: 'tfabc123-h-lb-1',
      sshPort: 22,
    });
    expect(plan.hosts.find((host) => host.id === 'app-1')!.interface).toBe('eth0');
    // Every namespace of the lab carries its id, so two labs never share a name.
    for (const name of [
      plan.core.namespace,
      plan.client.namespace,
      ...plan.hosts.map((host) => host.namespace),
    ])
      expect(name.startsWith('tfabc123-')).toBe(true);
  });

  it('routes a floating address once, through the segment of its targets', () => {
    const plan = planLab(twoSites, 'abc123');
    const east = plan.segments.find((segment) => segment.site === 'east')!;
    expect(plan.floating).toEqual([{ entrypoint: 'portal', address: '10.9.0.10', bridge: east.bridge }]);
  });

  it('keeps the lab’s own addresses clear of the design’s', () => {
    const design = checkedDesign({
      ...twoSites,
      hosts: [...twoSites.hosts, { id: 'odd', address: '169.254.1.1' }],
    });
    const plan = planLab(design, 'abc123');
    expect([plan.core.address, plan.client.address]).not.toContain('169.254.1.1');
  });

  it('refuses a host without an IPv4 address, naming it and where it is', () => {
    const design = checkedDesign({
      ...twoSites,
      hosts: [...twoSites.hosts, { id: 'v6', address: 'fd00::5' }],
    });
    expect(() => planLab(design, 'abc123')).toThrow(LabPlanError);
    try {
      planLab(design, 'abc123');
    } catch (error) {
      expect((error as LabPlanError).message).toContain('host v6');
      expect((error as LabPlanError).message).toContain('fd00::5');
      expect((error as LabPlanError).path).toBe('$.hosts[4].address');
    }
  });

  it.each(exampleFiles.filter((file) => !file.includes('broken')))('plans the example %s', (file) => {
    const design = loadExample(file);
    const plan = planLab(design, 'x1');
    expect(plan.hosts).toHaveLength(design.hosts.length);
    const coreInterfaces = plan.hosts.map((host) => host.coreInterface);
    expect(new Set(coreInterfaces).size).toBe(coreInterfaces.length);
    for (const name of coreInterfaces) expect(name.length).toBeLessThanOrEqual(15);
  });
});

describe('where a lab cannot run', () => {
  it('says so in one line', () => {
    for (const reason of [
      labUnsupportedReason('darwin', 501),
      labUnsupportedReason('win32', undefined),
      labUnsupportedReason('linux', 1000),
    ]) {
      expect(reason).toBeDefined();
      expect(reason).not.toContain('\n');
    }
    expect(labUnsupportedReason('darwin', 501)).toContain('Linux');
    expect(labUnsupportedReason('linux', 1000)).toContain('root');
  });
});
