import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GFM, parser } from '@lezer/markdown';
import { describe, expect, it } from 'vitest';
import { generateBundle } from '../../core/generate/index';
import { parseDesign } from '../../core/load';
import { nodeSha256 } from '../../deploy/hash';
import { checkedDesign } from '../fixtures/examples';

const design = (() => {
  const loaded = parseDesign(
    readFileSync(join(import.meta.dirname, '../../examples/teramind-ha.topo.json'), 'utf8'),
  );
  if (!loaded.ok) throw new Error('teramind-ha does not load');
  return loaded.design;
})();

describe('the bundle', () => {
  it('has the same manifest whether hashed by the pure SHA-256 (app) or the native one (CLI)', () => {
    expect(generateBundle(design, { sha256: nodeSha256 }).manifest).toEqual(generateBundle(design).manifest);
  });

  it('lists every file in the manifest with the hash of its content, and every host that has files', () => {
    const bundle = generateBundle(design, { sha256: nodeSha256 });
    const listed = [...bundle.manifest.bundleFiles, ...bundle.manifest.files];
    expect(listed).toHaveLength(bundle.files.length);
    for (const [i, file] of bundle.files.entries()) {
      expect(listed[i]).toMatchObject({ path: file.path, sha256: nodeSha256(file.content) });
      // files are what the hosts receive (docs/bundle.md); bundleFiles are the folder's own.
      if (file.host === undefined) expect(listed[i]).not.toHaveProperty('host');
      else expect(listed[i]).toMatchObject({ host: file.host });
    }
    const hosts = new Set(bundle.files.map((f) => f.host).filter((h) => h !== undefined));
    expect(bundle.manifest.hosts.map((h) => h.id).sort()).toEqual([...hosts].sort());
  });

  it('gives every host file an absolute path and every checked file a {} placeholder', () => {
    for (const file of generateBundle(design).files) {
      if (file.host !== undefined) expect(file.path, file.path).toMatch(/^\//);
      if (file.check !== undefined) expect(file.check, file.path).toContain('{}');
    }
  });
});

describe('design text in the bundle README', () => {
  const hostileName =
    'Shop <script>alert(1)</script> *bold* _it_ [site](http://x) ![i](y) ~~s~~ &amp; `c` | #';
  const hostileDescription = '- 1. not a list\n<img src=x onerror=alert(1)>\n> not a quote';
  const hostile = checkedDesign({
    format: 1,
    name: hostileName,
    description: hostileDescription,
    sites: [
      { id: 'east', label: 'East <b>bold</b>' },
      { id: 'west', label: 'West' },
    ],
    hosts: [
      { id: 'web-1', address: '10.0.0.1', site: 'east' },
      { id: 'web-2', address: '10.0.0.2', site: 'west' },
    ],
    services: [
      { id: 'web-a', kind: 'app', host: 'web-1', label: '<script>a</script>', command: '/usr/bin/web' },
      {
        id: 'web-b',
        kind: 'app',
        host: 'web-2',
        label: '*b*',
        command: '/usr/bin/web',
        mode: 'cold-standby',
      },
    ],
    entrypoints: [{ id: 'shop', port: 80, via: 'direct', targets: ['web-a', 'web-b'] }],
  });
  const readme = generateBundle(hostile).files.find((file) => file.path === 'README.md')!.content;
  const tree = parser.configure(GFM).parse(readme);

  /** The text a Markdown reader shows for the node at `from..to`: escapes resolved. */
  const shown = (from: number, to: number): string => {
    let text = '';
    let at = from;
    tree.iterate({
      from,
      to,
      enter: (node) => {
        if (node.name !== 'Escape' || node.from < from || node.to > to) return;
        text += readme.slice(at, node.from) + readme.slice(node.from + 1, node.to);
        at = node.to;
      },
    });
    return text + readme.slice(at, to);
  };

  it('is text to a Markdown reader: no HTML, emphasis, link, image or strikethrough comes from it', () => {
    const markup: string[] = [];
    tree.iterate({
      enter: (node) => {
        const text = readme.slice(node.from, node.to);
        // The template's own markup: the bold title of each step of the order of application.
        if (node.name === 'StrongEmphasis' && /^\*\*[A-Z][a-z ]+\*\*$/.test(text)) return;
        if (/^(HTMLTag|HTMLBlock|Emphasis|StrongEmphasis|Link|Image|Strikethrough|Autolink)$/.test(node.name))
          markup.push(`${node.name} ${JSON.stringify(text)}`);
      },
    });
    expect(markup).toEqual([]);
  });

  it('shows the name and the description exactly as written, on their own lines', () => {
    const heading = tree.topNode.getChild('ATXHeading1')!;
    expect(shown(heading.from + 2, heading.to)).toBe(`${hostileName}: config bundle`);
    const quote = tree.topNode.getChild('Blockquote')!;
    expect(quote.getChild('Paragraph')).not.toBeNull();
    expect(quote.getChild('BulletList')).toBeNull();
    const paragraph = quote.getChild('Paragraph')!;
    expect(shown(paragraph.from, paragraph.to)).toBe(hostileDescription.replace(/\n/g, ' '));
  });

  it('keeps the tables of files whole: four cells a row', () => {
    const rows = tree.topNode.getChildren('Table').flatMap((table) => table.getChildren('TableRow'));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows)
      expect(row.getChildren('TableDelimiter'), readme.slice(row.from, row.to)).toHaveLength(5);
  });
});
