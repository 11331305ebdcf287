import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DesignService, plainFileName, withDesignExtension } from '../../electron/main/design-service';
import { nodeAtomicFileSystem } from '../../electron/main/atomic-file';
import type { AtomicFileSystem } from '../../electron/main/atomic-file';
import { RecentDesignsStore } from '../../electron/main/recent-designs';
import { scriptedDialogs, temporaryFolder } from './fakes';
import type { ScriptedDialogs } from './fakes';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const sound = () => readFile(join(EXAMPLES, 'tessera-ha.topo.json'), 'utf8');
const broken = () => readFile(join(EXAMPLES, 'tessera-ha-broken.topo.json'), 'utf8');

async function setup(answers: ScriptedDialogs['answers'] = {}, atomicFileSystem?: AtomicFileSystem) {
  const folder = await temporaryFolder();
  const documents = join(folder, 'Documents');
  await mkdir(documents);
  const recent = await RecentDesignsStore.open({ file: join(folder, 'user-data', 'recent-designs.json') });
  const dialogs = scriptedDialogs(answers);
  const service = new DesignService<string>({
    dialogs,
    recent,
    documentsFolder: documents,
    ...(atomicFileSystem ? { atomicFileSystem } : {}),
  });
  const design = join(documents, 'plan.topo.json');
  await writeFile(design, await sound());
  return { folder, documents, recent, dialogs, service, design };
}

describe('opening designs', () => {
  it('opens the file the person picks, and remembers it', async () => {
    const { service, dialogs, design, documents, recent } = await setup();
    dialogs.answers.open = design;
    const opened = await service.openDesign('window');
    expect(opened).toEqual({ fileName: 'plan.topo.json', text: await sound(), location: design });
    expect(dialogs.asked).toEqual([{ dialog: 'open', window: 'window', defaultPath: documents }]);
    expect(service.isGranted(design)).toBe(true);
    await expect.poll(() => recent.has(design)).toBe(true);
  });

  it('returns nothing when the dialog is cancelled', async () => {
    const { service } = await setup();
    expect(await service.openDesign('window')).toBeUndefined();
  });

  it('reopens a recent design, and drops one whose file is gone', async () => {
    const { service, recent, design } = await setup();
    await recent.add(design);
    const entry = recent.list()[0]!;
    expect(await service.openRecentDesign(entry)).toMatchObject({ location: design });
    await recent.add('/gone/away.topo.json');
    expect(await service.openRecentDesign(recent.list()[0]!)).toBeUndefined();
    expect(recent.has('/gone/away.topo.json')).toBe(false);
  });

  it('refuses to read a location that is not on the recent list', async () => {
    const { service } = await setup();
    await expect(
      service.openRecentDesign({ fileName: 'id_ed25519', location: '/home/me/.ssh/id_ed25519', usedAt: '' }),
    ).rejects.toThrow(/not on the recent list/);
  });

  it('says why a file cannot be read', async () => {
    const { service, documents } = await setup();
    await expect(service.openPath(join(documents, 'missing.topo.json'))).rejects.toThrow(/no longer exists/);
    await expect(service.openPath(documents)).rejects.toThrow(/is a folder/);
  });
});

describe('saving designs', () => {
  it('writes back to a file the person opened, without asking', async () => {
    const { service, dialogs, design } = await setup({ open: undefined });
    dialogs.answers.open = design;
    await service.openDesign('window');
    dialogs.asked.length = 0;
    const saved = await service.saveDesign(
      'window',
      { fileName: 'plan.topo.json', text: 'new text', location: design },
      false,
    );
    expect(saved).toEqual({ fileName: 'plan.topo.json', location: design });
    expect(dialogs.asked).toEqual([]);
    expect(await readFile(design, 'utf8')).toBe('new text');
  });

  it('asks where when the page names a location main never handed out', async () => {
    const { service, dialogs, documents } = await setup();
    const target = join(documents, 'chosen.topo.json');
    dialogs.answers.saveAs = target;
    const saved = await service.saveDesign(
      'window',
      { fileName: '.bashrc', text: 'echo owned', location: '/home/me/.bashrc' },
      false,
    );
    expect(saved).toEqual({ fileName: 'chosen.topo.json', location: target });
    expect(dialogs.asked[0]).toMatchObject({
      dialog: 'save-as',
      defaultPath: join(documents, 'bashrc.topo.json'),
    });
    expect(await readFile(target, 'utf8')).toBe('echo owned');
  });

  it('always asks on Save As, starting beside the current file, and adds the extension', async () => {
    const { service, dialogs, design, documents } = await setup();
    service.grant(design);
    dialogs.answers.saveAs = join(documents, 'copy');
    const saved = await service.saveDesign(
      'window',
      { fileName: 'plan.topo.json', text: 'copy', location: design },
      true,
    );
    expect(dialogs.asked[0]).toMatchObject({ dialog: 'save-as', defaultPath: design });
    expect(saved?.location).toBe(join(documents, 'copy.topo.json'));
    expect(service.isGranted(join(documents, 'copy.topo.json'))).toBe(true);
  });

  it('keeps the old file whole when the disk fills up, and says so', async () => {
    const full: AtomicFileSystem = {
      ...nodeAtomicFileSystem,
      async create(path, mode) {
        const file = await nodeAtomicFileSystem.create(path, mode);
        return {
          ...file,
          write: () => Promise.reject(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' })),
        };
      },
    };
    const { service, design, documents } = await setup({}, full);
    const before = await readFile(design, 'utf8');
    service.grant(design);
    await expect(
      service.saveDesign('window', { fileName: 'plan.topo.json', text: 'new', location: design }, false),
    ).rejects.toThrow('the disk is full: plan.topo.json was not changed; free some space and save again');
    expect(await readFile(design, 'utf8')).toBe(before);
    expect(await readdir(documents)).toEqual(['plan.topo.json']);
  });

  it('makes plain file names', () => {
    expect(withDesignExtension('/d/plan')).toBe('/d/plan.topo.json');
    expect(withDesignExtension('/d/plan.JSON')).toBe('/d/plan.JSON');
    expect(plainFileName('../../etc/passwd', 'x')).toBe('-..-etc-passwd');
    expect(plainFileName('a\u0000b:c', 'x')).toBe('a-b-c');
    expect(plainFileName('...', 'fallback.topo.json')).toBe('fallback.topo.json');
  });
});

describe('exporting a bundle', () => {
  it('generates the bundle from the design and writes it into the chosen folder', async () => {
    const { service, dialogs, documents } = await setup();
    const folder = join(documents, 'tessera-bundle');
    dialogs.answers.bundleFolder = folder;
    const result = await service.exportBundle('window', {
      name: 'tessera-bundle',
      designText: await sound(),
    });
    expect(result).toEqual({ location: folder, fileCount: expect.any(Number) });
    expect(dialogs.asked.map((question) => question.dialog)).toEqual(['bundle-folder']);
    const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')) as {
      files: unknown[];
      bundleFiles: unknown[];
    };
    expect(result!.fileCount).toBe(manifest.files.length + manifest.bundleFiles.length + 1);
    expect(await readdir(folder)).toEqual(expect.arrayContaining(['README.md', 'manifest.json', 'hosts']));
  });

  it('refuses while error findings remain, as the command line does, unless the person confirms', async () => {
    const { service, dialogs, documents } = await setup({ exportWithErrors: false });
    const folder = join(documents, 'broken-bundle');
    dialogs.answers.bundleFolder = folder;
    expect(
      await service.exportBundle('window', { name: 'broken-bundle', designText: await broken() }),
    ).toBeUndefined();
    expect(dialogs.asked).toEqual([{ dialog: 'export-with-errors', window: 'window', errors: 6 }]);
    await expect(readdir(folder)).rejects.toMatchObject({ code: 'ENOENT' });

    dialogs.answers.exportWithErrors = true;
    expect(
      await service.exportBundle('window', { name: 'broken-bundle', designText: await broken() }),
    ).toMatchObject({
      location: folder,
    });
    expect(await readdir(folder)).toContain('manifest.json');
  });

  it('refuses a text that is not a design, and a folder that holds something else', async () => {
    const { service, dialogs, documents } = await setup();
    await expect(service.exportBundle('window', { name: 'x', designText: '{"format":1' })).rejects.toThrow(
      /^the design does not load: /,
    );
    dialogs.answers.bundleFolder = documents;
    await expect(service.exportBundle('window', { name: 'x', designText: await sound() })).rejects.toThrow(
      /holds no Topoforge bundle/,
    );
  });
});

describe('exporting the Ansible playbook', () => {
  it('writes the inventory, playbook and host files of the regenerated bundle into a new folder, and refuses a full one', async () => {
    const { service, dialogs, documents } = await setup();
    const folder = join(documents, 'tessera-ansible');
    dialogs.answers.bundleFolder = folder;
    const result = await service.exportBundle('window', {
      name: 'tessera-bundle',
      designText: await sound(),
      format: 'ansible',
    });
    expect(result).toEqual({ location: folder, fileCount: expect.any(Number) });
    expect(await readdir(folder)).toEqual(
      expect.arrayContaining(['inventory.yml', 'site.yml', 'host_vars', 'files']),
    );
    const inventory = await readFile(join(folder, 'inventory.yml'), 'utf8');
    expect(inventory).toContain('ansible_host');
    expect(inventory).toContain('lb-1');
    // The design's groups per site and kind come with it: the app exports from the design.
    expect(inventory).toMatch(/role_nginx/u);
    // A second export into the same folder replaces nothing.
    await expect(
      service.exportBundle('window', {
        name: 'tessera-bundle',
        designText: await sound(),
        format: 'ansible',
      }),
    ).rejects.toThrow(/is not empty: choose a new or empty folder/);
  });
});

describe('exporting a picture', () => {
  const png = `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]).toString('base64')}`;

  it('writes the decoded picture where the person picks', async () => {
    const { service, dialogs, documents } = await setup();
    const target = join(documents, 'plan.png');
    dialogs.answers.image = target;
    expect(
      await service.exportImage('window', { fileName: 'plan.png', format: 'png', dataUrl: png }),
    ).toEqual({
      location: target,
      fileCount: 1,
    });
    expect((await readFile(target)).subarray(0, 4).toString('latin1')).toBe('\x89PNG');
    const svg = join(documents, 'plan.svg');
    dialogs.answers.image = svg;
    await service.exportImage('window', {
      fileName: 'plan',
      format: 'svg',
      dataUrl: `data:image/svg+xml;charset=utf-8,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg"/>')}`,
    });
    expect(dialogs.asked.at(-1)).toMatchObject({ defaultPath: join(documents, 'plan.svg') });
    expect(await readFile(svg, 'utf8')).toBe('<svg xmlns="http://www.w3.org/2000/svg"/>');
  });

  it('refuses a picture that is not the format it claims', async () => {
    const { service } = await setup({ image: '/tmp/never.png' });
    await expect(
      service.exportImage('window', {
        fileName: 'x.png',
        format: 'png',
        dataUrl: 'data:image/png;base64,aGVsbG8=',
      }),
    ).rejects.toThrow('the picture is not PNG');
    await expect(
      service.exportImage('window', {
        fileName: 'x.png',
        format: 'png',
        dataUrl: 'data:image/svg+xml,<svg/>',
      }),
    ).rejects.toThrow('the picture is not PNG');
  });
});
