// @vitest-environment happy-dom
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { ansibleArchive } from '../../renderer/files/ansible-archive';
import { createBrowserHost } from '../../renderer/host/browser-host';
import { example } from './fixtures';

describe("the browser's Ansible export", () => {
  it('zips the inventory, the playbook and every host file under one folder, the same bytes each time', () => {
    const design = example('teramind-ha.topo.json');
    const bundle = generateBundle(design);
    const { bytes, fileCount } = ansibleArchive(bundle, design, 'teramind-ansible');
    const entries = unzipSync(bytes);
    const names = Object.keys(entries);
    expect(names).toHaveLength(fileCount);
    expect(names).toEqual(
      expect.arrayContaining(['teramind-ansible/inventory.yml', 'teramind-ansible/site.yml']),
    );
    // Every file of the bundle that goes to a host is there, byte for byte.
    for (const file of bundle.files.filter((f) => f.host !== undefined)) {
      const entry = entries[`teramind-ansible/files/${file.host}${file.path}`];
      expect(entry, `${file.host}:${file.path}`).toBeDefined();
      expect(strFromU8(entry!)).toBe(file.content);
    }
    expect(strFromU8(entries['teramind-ansible/site.yml']!)).toContain('ansible.builtin.copy');
    expect(ansibleArchive(bundle, design, 'teramind-ansible').bytes).toEqual(bytes);
  });

  it('is what File › Export Ansible playbook downloads', async () => {
    const design = example('tessera-ha.topo.json');
    const bundle = generateBundle(design);
    const clicked: string[] = [];
    document.addEventListener('click', (event) => {
      const target = event.target as HTMLAnchorElement;
      if (target.download) {
        clicked.push(target.download);
        event.preventDefault();
      }
    });
    const host = createBrowserHost({
      archive: async () => new Uint8Array(),
      ansibleArchive: async (b, d, folder) => ansibleArchive(b, d, folder),
    });
    const result = await host.exportBundle({ name: 'tessera-ansible', bundle, design, format: 'ansible' });
    expect(result?.location).toBe('tessera-ansible.zip');
    expect(result!.fileCount).toBeGreaterThan(bundle.files.filter((f) => f.host !== undefined).length);
    expect(clicked).toEqual(['tessera-ansible.zip']);
  });
});
