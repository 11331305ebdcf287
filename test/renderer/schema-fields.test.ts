import { describe, expect, it } from 'vitest';
import { GROUP_DESCRIPTORS } from '../../core/groups';
import { SERVICE_KINDS } from '../../core/model';
import { fieldsOfDesign, fieldsOfItem, labelOf, locateItem } from '../../renderer/inspector/schema-fields';
import { freshLinkIds } from '../../renderer/state/edge-ids';
import { example } from './fixtures';

describe('inspector forms from the schema', () => {
  it('gives each service kind the fields the schema allows it', () => {
    for (const kind of SERVICE_KINDS) {
      const keys = fieldsOfItem('services', { kind }).map((f) => f.key);
      expect(keys.slice(0, 4)).toEqual(['id', 'kind', 'host', 'group']);
    }
    const app = fieldsOfItem('services', { kind: 'app' });
    expect(app.map((f) => f.key)).toEqual([
      'id',
      'kind',
      'host',
      'group',
      'label',
      'mode',
      'port',
      'capacity',
      'availability',
      'manualRecoveryMinutes',
      'healthCheck',
      'command',
      'stateful',
    ]);
    const healthCheck = app.find((f) => f.key === 'healthCheck')!;
    expect(healthCheck.control).toBe('object');
    expect(healthCheck.fields?.map((f) => [f.key, f.required])).toEqual([
      ['path', true],
      ['port', false],
      ['intervalMs', false],
    ]);
    expect(app.find((f) => f.key === 'host')).toMatchObject({ control: 'reference', references: ['hosts'] });
    expect(app.find((f) => f.key === 'mode')).toMatchObject({
      control: 'enum',
      choices: ['active', 'hot-standby', 'cold-standby'],
    });
    expect(app.find((f) => f.key === 'port')).toMatchObject({
      control: 'integer',
      description: 'Main listening port; each kind has a default.',
    });
    const storage = fieldsOfItem('services', { kind: 'storage' });
    expect(storage.find((f) => f.key === 'type')).toMatchObject({ control: 'enum', required: true });
    const nginx = fieldsOfItem('services', { kind: 'nginx' });
    expect(nginx.find((f) => f.key === 'listen')).toMatchObject({ control: 'list' });
  });

  it('shows each group kind its own fields, and entrypoints their targets', () => {
    // The group kind's descriptor is the one list of its fields; the form shows exactly those, in order.
    for (const [kind, descriptor] of Object.entries(GROUP_DESCRIPTORS))
      expect(
        fieldsOfItem('groups', { kind }).map((f) => f.key),
        kind,
      ).toEqual(['id', 'kind', 'label', ...descriptor.inspectorFields]);
    expect(fieldsOfItem('groups', { kind: 'quorum', load: 3 }).map((f) => f.key)).toContain('load');
    expect(fieldsOfItem('entrypoints', {}).find((f) => f.key === 'targets')).toMatchObject({
      control: 'references',
      references: ['services', 'groups'],
    });
    expect(
      fieldsOfItem('hosts', {})
        .find((f) => f.key === 'ssh')
        ?.fields?.map((f) => f.key),
    ).toEqual(['user', 'port', 'hostKey', 'root', 'sudo']);
    expect(fieldsOfDesign().map((f) => [f.key, f.control])).toEqual([
      ['name', 'text'],
      ['description', 'multiline'],
      ['reliability', 'object'],
      ['objectives', 'object'],
    ]);
  });

  it('finds a selected item and names fields in words', () => {
    const design = example('teramind-ha.topo.json');
    expect(locateItem(design, 'tm-2')).toEqual({ collection: 'hosts', index: 3, path: ['hosts', 3] });
    const linkIds = freshLinkIds(design.links);
    expect(locateItem(design, `link:${linkIds[4]}`, linkIds)).toEqual({
      collection: 'links',
      index: 4,
      path: ['links', 4],
    });
    expect(locateItem(design, 'link:nowhere', linkIds)).toBeUndefined();
    expect(labelOf('failoverTimeoutMs')).toBe('Failover timeout (ms)');
    expect(labelOf('primary')).toBe('Primary');
  });
});
