import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { desktopBundles } from '../../scripts/start-desktop';

const ROOT = join(import.meta.dirname, '..', '..');

interface BuilderConfig {
  files: string[];
  extraMetadata: { main: string };
  electronFuses: Record<string, boolean>;
  fileAssociations: { ext: string; mimeType: string }[];
  linux: { target: string[]; executableName: string };
  mac: { target: string };
  win: { target: string };
  nsis: { perMachine: boolean };
}

const config = async () => parse(await readFile(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

describe('electron-builder.yml', () => {
  it('builds AppImage and deb, dmg and an nsis installer', async () => {
    const { linux, mac, win } = await config();
    expect(linux.target).toEqual(['AppImage', 'deb']);
    expect(mac.target).toBe('dmg');
    expect(win.target).toBe('nsis');
  });

  it('associates .topo.json files, per machine on Windows as NSIS requires', async () => {
    const { fileAssociations, nsis } = await config();
    expect(fileAssociations).toEqual([
      expect.objectContaining({ ext: 'topo.json', mimeType: expect.any(String) }),
    ]);
    expect(nsis.perMachine).toBe(true);
  });

  it('starts the bundled main process and ships both bundles', async () => {
    const { extraMetadata, files } = await config();
    const [main, preload] = desktopBundles(ROOT).map((bundle) => relative(ROOT, bundle.outfile!));
    expect(extraMetadata.main).toBe(main);
    expect(files).toContain('dist/desktop/*.cjs');
    expect(preload).toBe('dist/desktop/preload.cjs');
    expect(files).toContain('dist/web/**/*');
  });

  it('burns out the fuses the app never needs', async () => {
    const { electronFuses } = await config();
    expect(electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});
