/**
 * End to end: the built designer (dist/web) in Debian's Chromium, driven with the mouse and the
 * keyboard as an architect would. Every step leaves a screenshot in test-results/e2e/.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { parseDesign } from '../../core/load';
import type { Design } from '../../core/model';
import { Designer, e2eAvailability, useLab } from './driver';
import { temporaryFolderSync } from '../lab/temporary';

const availability = e2eAvailability();
const TIMEOUT = 90_000;

describe.skipIf(!availability.run)('the designer in a browser', () => {
  const lab = useLab();
  const downloads = temporaryFolderSync('topoforge-e2e-');

  const rulesOf = (findings: { rule: string; subjects: string[] }[], subject: string) =>
    findings.filter((f) => f.subjects.includes(subject)).map((f) => f.rule);

  it(
    'builds the Teramind cluster from an empty canvas: quorum.even at four nodes, gone at five',
    async () => {
      const app = await Designer.open(lab(), 'teramind-from-scratch');
      try {
        await app.shot('empty');
        // Two HAProxy balancers side by side, each dropped on empty canvas: each gets a host.
        await app.dragFromPalette('haproxy', { x: 300, y: 200 });
        await app.dragFromPalette('haproxy', { x: 640, y: 200 });
        // The VIP entrypoint is dropped on the first balancer, then aimed at the second too.
        await app.dragFromPaletteOnto('entrypoint-vip', 'haproxy-1');
        await app.connect('entry-1', 'haproxy-2');
        // The 2n+1 cluster: a quorum group below, then app servers joining it one by one.
        await app.dragFromPalette('quorum', { x: 820, y: 780 });
        const places = [
          { x: 150, y: 420 },
          { x: 450, y: 420 },
          { x: 750, y: 420 },
          { x: 150, y: 620 },
          { x: 450, y: 620 },
        ];
        for (let n = 1; n <= 4; n++) {
          await app.dragFromPalette('app', places[n - 1]!);
          await app.connect(`app-${n}`, 'quorum-1', 'members');
          await app.connect('haproxy-1', `app-${n}`);
        }
        let state = await app.settled();
        expect(state.design.services.filter((s) => s.group === 'quorum-1')).toHaveLength(4);
        expect(new Set(state.design.services.filter((s) => s.kind === 'app').map((s) => s.host)).size).toBe(
          4,
        );
        expect(rulesOf(state.findings, 'quorum-1')).toContain('quorum.even');
        await app.page.getByTestId('tab-findings').click();
        await expect.poll(() => app.page.locator('[data-rule="quorum.even"]').count()).toBe(1);
        await expect
          .poll(() => app.page.getByTestId('group-summary-quorum-1').textContent())
          .toBe('4 voters · tolerates 1');
        await app.shot('four-nodes-quorum-even');

        await app.dragFromPalette('app', places[4]!);
        await app.connect('app-5', 'quorum-1', 'members');
        await app.connect('haproxy-1', 'app-5');
        state = await app.settled();
        expect(state.design.services.filter((s) => s.group === 'quorum-1')).toHaveLength(5);
        expect(rulesOf(state.findings, 'quorum-1')).not.toContain('quorum.even');
        expect(state.findings.map((f) => f.rule)).not.toContain('quorum.too-small');
        await expect.poll(() => app.page.locator('[data-rule="quorum.even"]').count()).toBe(0);
        await expect
          .poll(() => app.page.getByTestId('group-summary-quorum-1').textContent())
          .toBe('5 voters · tolerates 2');
        expect(state.design.entrypoints?.[0]?.targets).toEqual(['haproxy-1', 'haproxy-2']);
        expect(state.design.links?.filter((l) => l.from === 'haproxy-1')).toHaveLength(5);
        await app.shot('five-nodes-quorum-ok');

        // Every step was one undoable edit: undo takes the fifth node out of the quorum again.
        await app.page.getByTestId('undo').click();
        await app.page.getByTestId('undo').click();
        state = await app.settled();
        expect(rulesOf(state.findings, 'quorum-1')).toContain('quorum.even');
        await app.page.getByTestId('redo').click();
        await app.page.getByTestId('redo').click();
        state = await app.settled();
        expect(rulesOf(state.findings, 'quorum-1')).not.toContain('quorum.even');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'fails the Tealeaf reporting host in what-if mode: the portal becomes manual, and says why',
    async () => {
      const app = await Designer.open(lab(), 'tealeaf-what-if');
      try {
        await app.openExample('tealeaf-resilient');
        await app.shot('opened');
        await app.page.getByTestId('what-if-button').click();
        await expect.poll(() => app.node('portal').locator('.state-tag').textContent()).toBe('up');
        await app.node('rep-1').locator('.container-title').click();
        await expect.poll(() => app.node('rep-1').locator('.state-tag').first().textContent()).toBe('failed');
        await expect.poll(() => app.node('portal').locator('.state-tag').textContent()).toBe('manual');
        await expect.poll(() => app.node('rep-a').locator('.state-tag').textContent()).toBe('down');
        await expect.poll(() => app.node('rep-b').locator('.state-tag').textContent()).toBe('manual');
        // Cause first: what failed, then what waits for a person.
        const reason = await app.page.getByTestId('reason-portal').textContent();
        expect(reason).toMatch(
          /is waiting for a person: rep-a failed with host rep-1; rep-b is a cold standby/,
        );
        const panel = app.page.getByTestId('entrypoint-status-portal');
        await expect.poll(() => panel.locator('.state-tag').textContent()).toBe('manual');
        // The single-failure table lists every host: rep-1 leaves the portal manual.
        const table = app.page.getByTestId('single-failures');
        expect(await table.locator('tr', { hasText: 'host rep-1' }).textContent()).toMatch(
          /Tealeaf Portal and RealiTea Viewer\s*manual/,
        );
        expect(await table.locator('tbody tr').count()).toBe(11);
        await app.shot('rep-1-failed-portal-manual');
        // Restoring the host brings the portal back.
        await app.node('rep-1').locator('.container-title').click();
        await expect.poll(() => app.node('portal').locator('.state-tag').textContent()).toBe('up');
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'refuses an invalid value in the inspector with the schema message and keeps the design',
    async () => {
      const app = await Designer.open(lab(), 'inspector-refuses');
      try {
        await app.openExample('tessera-ha');
        await app.node('lb-1').locator('.container-title').click();
        const before = await app.settled();
        const address = app.page.getByTestId('field-address');
        await expect.poll(() => address.inputValue()).toBe('10.40.0.11');
        await address.fill('10.40.0.300');
        await address.press('Enter');
        await expect
          .poll(() => app.page.getByTestId('error-address').textContent())
          .toBe("'10.40.0.300' is not an IPv4 or IPv6 address or a DNS name");
        expect(await address.getAttribute('aria-invalid')).toBe('true');
        await app.shot('address-refused');
        let after = await app.snapshot();
        expect(after.design).toEqual(before.design);
        expect(after.revision).toBe(before.revision);
        await expect
          .poll(() => app.node('lb-1').locator('.container-address').textContent())
          .toBe('10.40.0.11');

        // A port out of range on a service, and a duplicate id, are refused the same way.
        await app.node('lb-a').click();
        const port = app.page.getByTestId('field-port');
        await port.fill('70000');
        await port.press('Enter');
        await expect
          .poll(() => app.page.getByTestId('error-port').textContent())
          .toMatch(/out of range: must be a whole number from 1 to 65535/);
        const id = app.page.getByTestId('field-id');
        await id.fill('lb-b');
        await id.press('Enter');
        await expect
          .poll(() => app.page.getByTestId('error-id').textContent())
          .toMatch(/'lb-b' is already the id of service lb-b/);
        await app.shot('port-and-id-refused');
        after = await app.snapshot();
        expect(after.design).toEqual(before.design);

        // Escape puts the stored value back; a valid value goes in as one undoable step.
        await id.press('Escape');
        await expect.poll(() => id.inputValue()).toBe('lb-a');
        await port.fill('8081');
        await port.press('Enter');
        after = await app.settled();
        expect(after.design.services.find((s) => s.id === 'lb-a')?.port).toBe(8081);
        await app.page.keyboard.press('Escape');
        await app.page.getByTestId('undo').click();
        after = await app.settled();
        expect(after.design).toEqual(before.design);
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'exports the bundle as a zip whose manifest lists every file with its hash',
    async () => {
      const app = await Designer.open(lab(), 'export-bundle');
      try {
        await app.openExample('teramind-ha');
        await app.page.getByTestId('tab-preview').click();
        await expect
          .poll(() => app.page.getByTestId('code-view').getAttribute('data-path'))
          .toBe('/etc/haproxy/haproxy.cfg');
        await expect.poll(() => app.page.locator('.cm-content').textContent()).toMatch(/frontend/);
        await app.shot('preview-haproxy');
        await app.page.getByTestId('preview-host').selectOption('__bundle');
        await expect
          .poll(() => app.page.getByTestId('code-view').getAttribute('data-path'))
          .toBe('README.md');
        await app.shot('preview-readme');

        const downloaded = app.page.waitForEvent('download');
        await app.fileMenu('export-bundle');
        const download = await downloaded;
        expect(download.suggestedFilename()).toBe('teramind-ha-5-nodes-bundle.zip');
        const zipPath = join(downloads, download.suggestedFilename());
        await download.saveAs(zipPath);
        const entries = unzipSync(new Uint8Array(readFileSync(zipPath)));
        const folder = 'teramind-ha-5-nodes-bundle';
        const manifest = JSON.parse(strFromU8(entries[`${folder}/manifest.json`]!)) as {
          format: number;
          design: { name: string; sha256: string };
          hosts: { id: string }[];
          files: { host: string; path: string; sha256: string; mode: string }[];
          bundleFiles: { path: string; sha256: string; mode: string }[];
        };
        expect(manifest.format).toBe(1);
        expect(manifest.design.name).toBe('Teramind HA (5 nodes)');
        expect(manifest.hosts.map((h) => h.id)).toEqual([
          'lb-1',
          'lb-2',
          'tm-1',
          'tm-2',
          'tm-3',
          'tm-4',
          'tm-5',
        ]);
        const listed = [
          ...manifest.files.map((file) => ({
            ...file,
            path: `hosts/${file.host}/${file.path.replace(/^\//, '')}`,
          })),
          ...manifest.bundleFiles,
        ];
        for (const file of listed) {
          const path = file.path;
          const content = entries[`${folder}/${path}`];
          expect(content, path).toBeDefined();
          expect(createHash('sha256').update(content!).digest('hex'), path).toBe(file.sha256);
        }
        expect(Object.keys(entries)).toHaveLength(listed.length + 1);
        // The same bundle as the command line generates from the same file.
        const design = (await app.snapshot()).design as unknown as Design;
        expect(manifest).toEqual(generateBundle(design).manifest);
        const example = parseDesign(
          readFileSync(join(import.meta.dirname, '../../examples/teramind-ha.topo.json'), 'utf8'),
        );
        if (!example.ok) throw new Error('the example does not load');
        expect(manifest.design.sha256).toBe(generateBundle(example.design).manifest.design.sha256);

        // The diagram as pictures, under the page's CSP (no eval, images from data: only).
        for (const format of ['png', 'svg'] as const) {
          const picture = app.page.waitForEvent('download');
          await app.fileMenu(`export-${format}`);
          const file = await picture;
          expect(file.suggestedFilename()).toBe(`teramind-ha-5-nodes.${format}`);
          const path = join(downloads, file.suggestedFilename());
          await file.saveAs(path);
          const bytes = readFileSync(path);
          if (format === 'png') expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
          else expect(bytes.toString('utf8', 0, 4)).toBe('<svg');
          expect(bytes.length).toBeGreaterThan(20_000);
        }
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );

  it(
    'saves a design, reopens it and gets the same design, positions included; a bad file is refused',
    async () => {
      const app = await Designer.open(lab(), 'save-reopen');
      try {
        await app.openExample('expertflow-two-sites');
        // Move a host by hand so the saved layout is not just the automatic one.
        const opened = await app.settled();
        const header = app.node('ef-a').locator('.container-header');
        const box = (await header.boundingBox())!;
        await app.page.mouse.move(box.x + 40, box.y + 10);
        await app.page.mouse.down();
        await app.page.mouse.move(box.x + 100, box.y + 70, { steps: 6 });
        await app.page.mouse.up();
        const edited = await app.editedAfter(opened.revision);
        await app.shot('edited');

        const saving = app.page.waitForEvent('download');
        await app.page.keyboard.press('Control+s');
        const saved = await saving;
        expect(saved.suggestedFilename()).toBe('expertflow-two-sites.topo.json');
        const savedPath = join(downloads, saved.suggestedFilename());
        await saved.saveAs(savedPath);
        const text = readFileSync(savedPath, 'utf8');
        const loaded = parseDesign(text);
        expect(loaded.ok).toBe(true);
        expect(JSON.parse(text)).toEqual(edited.design);

        // New design, then open the saved file: the same design comes back.
        await app.fileMenu('new');
        expect((await app.settled()).design.services).toEqual([]);
        const choosing = app.page.waitForEvent('filechooser');
        await app.fileMenu('open');
        await (await choosing).setFiles(savedPath);
        await app.page.waitForFunction(() => {
          const app = (
            window as unknown as { topoforge: { store: { getState(): { design: { services: unknown[] } } } } }
          ).topoforge;
          return app.store.getState().design.services.length > 0;
        });
        const reopened = await app.settled();
        expect(reopened.design).toEqual(edited.design);
        await app.shot('reopened');

        // A file that is not a design: the loader's problems with path and line; the design stays.
        const badPath = join(downloads, 'bad.topo.json');
        writeFileSync(
          badPath,
          '{\n  "format": 1,\n  "name": "Broken",\n  "hosts": [{ "id": "lb-1", "address": "10.0.0.300" }],\n  "services": [{ "id": "lb", "kind": "ngnix", "host": "lb-1" }]\n}\n',
        );
        const choosingBad = app.page.waitForEvent('filechooser');
        await app.fileMenu('open');
        await (await choosingBad).setFiles(badPath);
        const problems = app.page.getByTestId('load-problems');
        await problems.waitFor();
        expect(await problems.textContent()).toMatch(
          /hosts\[0\]\.address4:\d+'10\.0\.0\.300' is not an IPv4/,
        );
        expect(await problems.textContent()).toMatch(
          /services\[0\]\.kind5:\d+'ngnix' is not a service kind \(did you mean 'nginx'\?\)/,
        );
        await app.shot('bad-file-refused');
        await app.page.getByRole('button', { name: 'Close' }).click();
        expect((await app.snapshot()).design).toEqual(edited.design);

        // A file saved by a newer Topoforge: refused in the same dialog, the design and the file stay.
        const newerPath = join(downloads, 'newer.topo.json');
        const newerText = '{\n  "format": 2,\n  "name": "Later",\n  "hosts": [],\n  "services": []\n}\n';
        writeFileSync(newerPath, newerText);
        const choosingNewer = app.page.waitForEvent('filechooser');
        await app.fileMenu('open');
        await (await choosingNewer).setFiles(newerPath);
        await problems.waitFor();
        expect(await problems.textContent()).toContain(
          'saved by a newer Topoforge, format 2; this version reads up to format 1',
        );
        await app.page.getByRole('button', { name: 'Close' }).click();
        expect((await app.snapshot()).design).toEqual(edited.design);
        expect(readFileSync(newerPath, 'utf8')).toBe(newerText);
        expect(app.errors).toEqual([]);
      } finally {
        await app.shot('last');
        await app.close();
      }
    },
    TIMEOUT,
  );
});
