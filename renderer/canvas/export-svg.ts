/**
 * The diagram as a real SVG: rectangles, paths and text built from the design's geometry and the
 * canvas's own edge routes, not a copy of the page (no `foreignObject`, which Inkscape, librsvg
 * and most viewers cannot draw). It shows what the canvas shows: sites, hosts, cards with their
 * kind's icon, group marks and frames, links with their labels, and in what-if mode each item's
 * state. It leaves out what belongs to editing: the selection, handles and finding badges.
 *
 * Pure: the browser injects how text is measured and how icons are drawn; tests do the same.
 */
import { summarizeGroups } from '../../core/group-summary';
import { linkKindOf, mainPortOf } from '../../core/model';
import type { Design, Service } from '../../core/model';
import { boundsOf } from './fit';
import { geometryOf } from './geometry';
import type { ItemBox } from './geometry';
import { CONTAINER_INFO, ENTRYPOINT_VIA_INFO, GROUP_KIND_INFO, SERVICE_KIND_INFO } from './kinds';
import { groupFrames, groupMarks, linkLanes } from './legibility';
import { HANDLE_OUTSET, RoutingScene, routeEdge } from './routing';

/** The colours of the diagram, as the theme's CSS variables have them. */
export interface DiagramPalette {
  background: string;
  text: string;
  text2: string;
  text3: string;
  panel: string;
  node: string;
  border: string;
  borderStrong: string;
  host: string;
  hostBorder: string;
  site: string;
  siteBorder: string;
  edge: string;
  edgeUses: string;
  up: string;
  upSoft: string;
  degraded: string;
  degradedSoft: string;
  manual: string;
  manualSoft: string;
  down: string;
  downSoft: string;
  /** What-if's network cut, and a group in split brain. */
  cut: string;
  split: string;
  splitSoft: string;
}

/** The light theme's colours (renderer/styles.css), for callers without a page. */
export const LIGHT_PALETTE: DiagramPalette = {
  background: '#fbfbfc',
  text: '#1c2128',
  text2: '#57606a',
  text3: '#5f6872',
  panel: '#ffffff',
  node: '#ffffff',
  border: '#d9dde3',
  borderStrong: '#b8bfc9',
  host: '#f1f3f6',
  hostBorder: '#aab3bf',
  site: '#f4f7fd',
  siteBorder: '#93a9cf',
  edge: '#8c959f',
  edgeUses: '#a371f7',
  up: '#1a7f37',
  upSoft: '#dafbe1',
  degraded: '#9a6700',
  degradedSoft: '#fff8c5',
  manual: '#a94400',
  manualSoft: '#ffe7d1',
  down: '#cf222e',
  downSoft: '#ffebe9',
  cut: '#57606a',
  split: '#8250df',
  splitSoft: '#fbefff',
};

/** The state of an item in what-if mode, or `failed` for what the person failed. */
export type DiagramState = 'up' | 'degraded' | 'manual' | 'down' | 'failed';

/** What the diagram needs besides the design. */
export interface DiagramOptions {
  palette?: DiagramPalette;
  /** Width of a text in pixels in a CSS font such as `600 12px sans-serif`. */
  measure?: (text: string, font: string) => number;
  /**
   * The inner markup of a 24 × 24 icon (lucide's paths, `stroke="currentColor"`), by icon key:
   * a service kind, a group kind, `entrypoint-<via>`, `host` or `site`.
   */
  icon?: (key: string) => string;
  /** In what-if mode: the state of each item. */
  states?: Readonly<Record<string, DiagramState>>;
  /**
   * In what-if mode with the network cut: the cut-off hosts and sites (drawn in a dashed band
   * tagged "cut off") and the groups in split brain (tagged so, instead of their state).
   */
  cut?: { cutOff: ReadonlySet<string>; splitBrain: readonly string[] };
  /** Space around the design, in pixels. */
  margin?: number;
}

/** The canvas's fonts (renderer/styles.css), so that a viewer with them draws the same text. */
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
export const MONO = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace";

/** A rough width for text without a page: 0.56 em a character, a little more in bold. */
function estimate(text: string, font: string): number {
  const size = Number(/(\d+(?:\.\d+)?)px/.exec(font)?.[1] ?? 12);
  const bold = /^(600|700|bold)/.test(font);
  const mono = font.includes('mono');
  return text.length * size * (mono ? 0.62 : bold ? 0.66 : 0.58);
}

/** Escapes text for SVG content and attribute values. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rounds to a tenth of a pixel: enough for a drawing, and it keeps the file small. */
function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** The diagram of a design as the text of an SVG file. */
export function diagramSvg(design: Design, options: DiagramOptions = {}): string {
  const palette = options.palette ?? LIGHT_PALETTE;
  const measure = options.measure ?? estimate;
  const states = options.states;
  const margin = options.margin ?? 40;
  const geometry = geometryOf(design);
  const scene = new RoutingScene(geometry);

  const bounds = boundsOf(geometry) ?? { x: 0, y: 0, width: 0, height: 0 };
  const left = bounds.x;
  const top = bounds.y;
  const width = Math.ceil(bounds.width + 2 * margin);
  const height = Math.ceil(bounds.height + 2 * margin);

  /** Text cut to a width, with an ellipsis, as the canvas's CSS cuts it. */
  const fit = (text: string, font: string, room: number): string => {
    if (measure(text, font) <= room) return text;
    let cut = text;
    while (cut.length > 1 && measure(`${cut}…`, font) > room) cut = cut.slice(0, -1);
    return `${cut.trimEnd()}…`;
  };
  const text = (x: number, y: number, content: string, font: string, fill: string, extra = ''): string => {
    const [weight, size] =
      font.startsWith('600') || font.startsWith('700') ? font.split(' ') : ['400', font.split(' ')[0]];
    const family = font.includes('mono') ? MONO : FONT;
    return `<text x="${n(x)}" y="${n(y)}" font-family="${escape(family)}" font-size="${size!.replace('px', '')}" font-weight="${weight}" fill="${fill}"${extra}>${escape(content)}</text>`;
  };

  const usedIcons = new Set<string>();
  const iconUse = (key: string, x: number, y: number, size: number, colour: string): string => {
    if (!options.icon) return '';
    usedIcons.add(key);
    return `<use href="#icon-${key}" x="${n(x)}" y="${n(y)}" width="${size}" height="${size}" color="${colour}"/>`;
  };
  const stateColours = (state: DiagramState | undefined): { stroke: string; fill: string } | undefined => {
    if (!state) return undefined;
    if (state === 'up') return { stroke: palette.up, fill: palette.node };
    if (state === 'degraded') return { stroke: palette.degraded, fill: palette.node };
    if (state === 'manual') return { stroke: palette.manual, fill: palette.manualSoft };
    return { stroke: palette.down, fill: palette.downSoft };
  };
  const stateTag = (state: DiagramState, x: number, y: number): string => {
    const word = state.toUpperCase();
    const font = '700 10px';
    const w = measure(word, font) + 12;
    const colours = {
      up: [palette.up, palette.upSoft],
      degraded: [palette.degraded, palette.degradedSoft],
      manual: [palette.manual, palette.manualSoft],
      down: [palette.down, palette.downSoft],
      failed: [palette.down, palette.downSoft],
    }[state];
    return (
      `<rect x="${n(x - w)}" y="${n(y)}" width="${n(w)}" height="15" rx="4" fill="${colours[1]}" stroke="${colours[0]}"/>` +
      text(x - w + 6, y + 11, word, font, colours[0]!)
    );
  };

  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="${palette.background}"/>`);
  // Everything in flow coordinates, moved into the picture once.
  parts.push(`<g transform="translate(${n(margin - left)} ${n(margin - top)})">`);

  const boxes = [...geometry.order].map((id) => geometry.boxes.get(id)!);
  const byKind = (kind: ItemBox['kind']) => boxes.filter((b) => b.kind === kind);
  const sites = new Map((design.sites ?? []).map((s) => [s.id as string, s]));
  const hosts = new Map(design.hosts.map((h) => [h.id as string, h]));

  for (const box of byKind('site')) {
    const site = sites.get(box.id)!;
    const colours = states?.[box.id] === 'failed' ? stateColours('failed') : undefined;
    parts.push(
      `<g id="site-${escape(box.id)}"><rect x="${n(box.absoluteX)}" y="${n(box.absoluteY)}" width="${n(box.width)}" height="${n(box.height)}" rx="14" fill="${colours?.fill ?? palette.site}" stroke="${colours?.stroke ?? palette.siteBorder}" stroke-width="2"/>` +
        iconUse('site', box.absoluteX + 10, box.absoluteY + 10, 16, palette.text2) +
        text(
          box.absoluteX + 32,
          box.absoluteY + 23,
          fit(site.label ?? site.id, '600 13px', box.width - 120),
          '600 13px',
          palette.text,
        ) +
        (states?.[box.id]
          ? stateTag(states[box.id]!, box.absoluteX + box.width - 10, box.absoluteY + 10)
          : '') +
        '</g>',
    );
  }
  for (const box of byKind('host')) {
    const host = hosts.get(box.id)!;
    const state = states?.[box.id];
    const colours = state === 'failed' || state === 'down' ? stateColours(state) : undefined;
    const title = fit(host.label ?? host.id, '600 12px', box.width - 130);
    const titleWidth = measure(title, '600 12px');
    parts.push(
      `<g id="host-${escape(box.id)}"><rect x="${n(box.absoluteX)}" y="${n(box.absoluteY)}" width="${n(box.width)}" height="${n(box.height)}" rx="10" fill="${colours?.fill ?? palette.host}" stroke="${colours?.stroke ?? palette.hostBorder}"/>` +
        iconUse('host', box.absoluteX + 10, box.absoluteY + 8, 14, palette.text2) +
        text(box.absoluteX + 30, box.absoluteY + 19.5, title, '600 12px', palette.text) +
        text(
          box.absoluteX + 36 + titleWidth,
          box.absoluteY + 19.5,
          host.address,
          '11px mono',
          palette.text3,
        ) +
        (state ? stateTag(state, box.absoluteX + box.width - 8, box.absoluteY + 8) : '') +
        '</g>',
    );
  }

  for (const frame of groupFrames(design, geometry)) {
    parts.push(
      `<rect x="${n(frame.x)}" y="${n(frame.y)}" width="${n(frame.width)}" height="${n(frame.height)}" rx="12" fill="none" stroke="${frame.color}" stroke-width="2"/>`,
    );
  }

  // Edges, under the cards, on the canvas's own routes.
  const services = new Map(design.services.map((s) => [s.id as string, s]));
  const lanes = linkLanes(design);
  const handleFrom = (box: ItemBox) => ({
    x: box.absoluteX + box.width / 2,
    y: box.absoluteY + box.height + HANDLE_OUTSET,
  });
  const handleTo = (box: ItemBox) => ({ x: box.absoluteX + box.width / 2, y: box.absoluteY - HANDLE_OUTSET });
  const edge = (
    source: string,
    target: string,
    lane: number,
    stroke: string,
    dash: string,
    label?: string,
  ) => {
    const from = geometry.boxes.get(source);
    const to = geometry.boxes.get(target);
    if (!from || !to) return;
    const route = routeEdge(scene, source, target, handleFrom(from), handleTo(to), lane);
    parts.push(
      `<path d="${route.path}" fill="none" stroke="${stroke}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''} marker-end="url(#arrow)"/>`,
    );
    if (label) {
      const w = measure(label, '10px') + 8;
      parts.push(
        `<rect x="${n(route.label.x - w / 2)}" y="${n(route.label.y - 7)}" width="${n(w)}" height="14" rx="3" fill="${palette.panel}" stroke="${palette.border}" stroke-width="0.5"/>` +
          text(route.label.x - w / 2 + 4, route.label.y + 3.5, label, '10px', palette.text2),
      );
    }
  };
  (design.links ?? []).forEach((link, index) => {
    const kind = linkKindOf(link, services.get(link.from));
    const ownPort = services.get(link.to)?.port;
    const port = link.port !== undefined && link.port !== ownPort ? `:${link.port}` : '';
    const label = [port, link.backup ? 'backup' : ''].filter(Boolean).join(' · ');
    const dash = link.backup ? '2 4' : kind === 'uses' ? '6 4' : '';
    edge(
      link.from,
      link.to,
      lanes[index] ?? 0,
      kind === 'uses' ? palette.edgeUses : palette.edge,
      dash,
      label || undefined,
    );
  });
  for (const entrypoint of design.entrypoints ?? [])
    for (const target of entrypoint.targets) edge(entrypoint.id, target, 0, '#0b7285', '');

  // Cards.
  const marks = groupMarks(design);
  const summaries = summarizeGroups(design);
  const card = (
    box: ItemBox,
    options: {
      key: string;
      colour: string;
      title: string;
      subtitle: string;
      tags?: string[];
      rx: number;
      stroke: string;
      dashed?: boolean;
      mark?: { name: string; color: string };
      stripe?: string;
    },
  ) => {
    const state = states?.[box.id];
    const colours = stateColours(state);
    const x = box.absoluteX;
    const y = box.absoluteY;
    const room = box.width - 52;
    const lines = options.tags && options.tags.length > 0 ? 3 : 2;
    const baseline = y + box.height / 2 - (lines === 3 ? 15 : 8) + 9;
    const out: string[] = [`<g id="${escape(options.key)}-${escape(box.id)}">`];
    out.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${n(box.width)}" height="${n(box.height)}" rx="${options.rx}" fill="${colours?.fill ?? palette.node}" stroke="${colours?.stroke ?? options.stroke}" stroke-width="${colours ? 2 : options.dashed ? 1.5 : 1}"${options.dashed && !colours ? ' stroke-dasharray="4 3"' : ''}/>`,
    );
    if (options.stripe)
      out.push(
        `<rect x="${n(x)}" y="${n(y + 4)}" width="5" height="${n(box.height - 8)}" rx="2" fill="${options.stripe}"/>`,
      );
    out.push(
      `<rect x="${n(x + 8)}" y="${n(y + box.height / 2 - 14)}" width="28" height="28" rx="6" fill="${options.colour}"/>`,
      iconUse(options.key, x + 8 + 5.3, y + box.height / 2 - 14 + 5.3, 17.4, '#ffffff'),
      text(x + 44, baseline, fit(options.title, '600 12px', room), '600 12px', palette.text),
      text(x + 44, baseline + 15, fit(options.subtitle, '11px', room), '11px', palette.text2),
    );
    let tagX = x + 44;
    for (const tag of options.tags ?? []) {
      const w = measure(tag, '10px') + 10;
      out.push(
        `<rect x="${n(tagX)}" y="${n(baseline + 20)}" width="${n(w)}" height="13" rx="4" fill="${palette.panel}" stroke="${palette.border}"/>`,
        text(tagX + 5, baseline + 30, tag, '10px', palette.text2),
      );
      tagX += w + 4;
    }
    if (options.mark) {
      const label = fit(options.mark.name, '700 10px', 118);
      const w = measure(label, '700 10px') + 12;
      out.push(
        `<rect x="${n(x + 44)}" y="${n(y - 9)}" width="${n(w)}" height="16" rx="8" fill="${options.mark.color}"/>`,
        text(x + 50, y + 3, label, '700 10px', '#ffffff'),
      );
    }
    if (state) out.push(stateTag(state, x + box.width - 6, y + box.height - 8));
    out.push('</g>');
    parts.push(out.join(''));
  };

  for (const service of design.services) {
    const box = geometry.boxes.get(service.id);
    if (!box) continue;
    const info = SERVICE_KIND_INFO[service.kind];
    const port = mainPortOf(service);
    const mode =
      service.mode === 'cold-standby' ? 'cold standby' : service.mode === 'hot-standby' ? 'hot standby' : '';
    const mark = service.group !== undefined ? marks.get(service.group) : undefined;
    card(box, {
      key: service.kind,
      colour: info.color,
      title: service.label ?? service.id,
      subtitle: `${service.label ? `${service.id} · ` : ''}${info.name}${port !== undefined ? ` · :${port}` : ''}`,
      tags: [mode, (service as Service).host === undefined ? 'external' : ''].filter(Boolean),
      rx: 8,
      stroke: palette.borderStrong,
      ...(mark ? { mark } : {}),
    });
  }
  for (const group of design.groups ?? []) {
    const box = geometry.boxes.get(group.id);
    if (!box) continue;
    const info = GROUP_KIND_INFO[group.kind];
    card(box, {
      key: group.kind,
      colour: info.color,
      title: group.label ?? group.id,
      subtitle: `${group.label ? `${group.id} · ` : ''}${info.name} · ${summaries.get(group.id)?.text ?? ''}`,
      rx: 8,
      stroke: palette.borderStrong,
      dashed: true,
      ...(marks.get(group.id) ? { stripe: marks.get(group.id)!.color } : {}),
    });
  }
  for (const entrypoint of design.entrypoints ?? []) {
    const box = geometry.boxes.get(entrypoint.id);
    if (!box) continue;
    const via =
      entrypoint.via === 'vip'
        ? `VIP ${entrypoint.address ?? ''}`
        : entrypoint.via === 'direct'
          ? 'direct'
          : 'external LB';
    card(box, {
      key: `entrypoint-${entrypoint.via}`,
      colour: ENTRYPOINT_VIA_INFO[entrypoint.via].color,
      title: entrypoint.label ?? entrypoint.id,
      subtitle: `${via} · :${entrypoint.port}`,
      rx: 29,
      stroke: '#0b7285',
    });
  }
  // The cut and split brain, over what they mark, as the canvas draws them.
  const tag = (word: string, x: number, y: number, colour: string, fill: string, id: string): string => {
    const w = measure(word, '700 10px') + 12;
    return (
      `<g id="${escape(id)}"><rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="15" rx="4" fill="${fill}" stroke="${colour}"/>` +
      text(x + 6, y + 11, word, '700 10px', colour) +
      '</g>'
    );
  };
  for (const box of boxes) {
    if (options.cut?.cutOff.has(box.id) && (box.kind === 'site' || box.kind === 'host')) {
      parts.push(
        `<rect id="cut-band-${escape(box.id)}" x="${n(box.absoluteX - 5)}" y="${n(box.absoluteY - 5)}" width="${n(box.width + 10)}" height="${n(box.height + 10)}" rx="${box.kind === 'site' ? 18 : 14}" fill="none" stroke="${palette.cut}" stroke-width="3" stroke-dasharray="8 5"/>`,
        tag(
          'CUT OFF',
          box.absoluteX + 14,
          box.absoluteY - 12,
          palette.text,
          palette.background,
          `cut-tag-${box.id}`,
        ),
      );
    }
    if (options.cut?.splitBrain.includes(box.id)) {
      parts.push(
        `<rect x="${n(box.absoluteX - 3)}" y="${n(box.absoluteY - 3)}" width="${n(box.width + 6)}" height="${n(box.height + 6)}" rx="12" fill="none" stroke="${palette.split}" stroke-width="3"/>`,
        tag(
          'SPLIT BRAIN',
          box.absoluteX + box.width - 90,
          box.absoluteY + box.height - 7,
          palette.split,
          palette.splitSoft,
          `split-brain-${box.id}`,
        ),
      );
    }
  }
  parts.push('</g>');

  const defs: string[] = [
    `<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="${palette.edge}"/></marker>`,
  ];
  for (const key of [...usedIcons].sort()) {
    defs.push(
      `<symbol id="icon-${escape(key)}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round">${options.icon!(key)}</symbol>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escape(design.name)}</title>`,
    `<defs>${defs.join('')}</defs>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Every icon key the diagram may ask for, with its component: the kinds, containers, entrypoints. */
export const ICON_COMPONENTS = {
  ...Object.fromEntries(Object.entries(SERVICE_KIND_INFO).map(([key, info]) => [key, info.Icon])),
  ...Object.fromEntries(Object.entries(GROUP_KIND_INFO).map(([key, info]) => [key, info.Icon])),
  ...Object.fromEntries(
    Object.entries(ENTRYPOINT_VIA_INFO).map(([key, info]) => [`entrypoint-${key}`, info.Icon]),
  ),
  host: CONTAINER_INFO.host.Icon,
  site: CONTAINER_INFO.site.Icon,
};
