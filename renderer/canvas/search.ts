/**
 * Finding items: every site, host, service, group and entrypoint whose id, label, address or kind
 * contains what was typed (in any case), in the order of the design file.
 */
import type { Design } from '../../core/model';
import { ENTRYPOINT_VIA_INFO, GROUP_KIND_INFO, SERVICE_KIND_INFO } from './kinds';

/** One item that matches, and the field that does (the first, in the order above). */
export interface SearchHit {
  id: string;
  field: 'id' | 'label' | 'address' | 'kind';
  text: string;
}

/** The items matching `query`; none for an empty query. */
export function searchDesign(design: Design, query: string): SearchHit[] {
  const wanted = query.trim().toLowerCase();
  if (wanted === '') return [];
  const hits: SearchHit[] = [];
  const consider = (id: string, fields: [SearchHit['field'], string | undefined][]) => {
    for (const [field, text] of fields) {
      if (text !== undefined && text.toLowerCase().includes(wanted)) {
        hits.push({ id, field, text });
        return;
      }
    }
  };
  for (const site of design.sites ?? [])
    consider(site.id, [
      ['id', site.id],
      ['label', site.label],
      ['kind', 'site'],
    ]);
  for (const host of design.hosts)
    consider(host.id, [
      ['id', host.id],
      ['label', host.label],
      ['address', host.address],
      ['kind', 'host'],
    ]);
  for (const service of design.services)
    consider(service.id, [
      ['id', service.id],
      ['label', service.label],
      ['kind', service.kind],
      ['kind', SERVICE_KIND_INFO[service.kind].name],
    ]);
  for (const group of design.groups ?? [])
    consider(group.id, [
      ['id', group.id],
      ['label', group.label],
      ['kind', group.kind],
      ['kind', GROUP_KIND_INFO[group.kind].name],
    ]);
  for (const entrypoint of design.entrypoints ?? [])
    consider(entrypoint.id, [
      ['id', entrypoint.id],
      ['label', entrypoint.label],
      ['address', entrypoint.address],
      ['kind', `entrypoint ${entrypoint.via}`],
      ['kind', ENTRYPOINT_VIA_INFO[entrypoint.via].name],
    ]);
  return hits;
}
