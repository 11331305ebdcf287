/**
 * Load problems in the inspector's words: where a problem is, by the item's label and the
 * field's name ("host Web 1 (web-1), address"), with the file path kept for the details; and the
 * one clash the loader reports on the wrong item, a duplicate address, said on the field edited.
 */
import type { PathSegment } from '../../core/json-path';
import type { LoadProblem } from '../../core/load';
import type { Design } from '../../core/model';

const NOUNS: Record<string, string> = {
  sites: 'site',
  hosts: 'host',
  services: 'service',
  groups: 'group',
  entrypoints: 'entrypoint',
  links: 'link',
};

/** "host Web 1 (web-1), address", "link 3, port", "the design, name". */
export function whereInWords(design: Design, segments: readonly PathSegment[]): string {
  const [collection, index, ...field] = segments;
  const noun = typeof collection === 'string' ? NOUNS[collection] : undefined;
  if (!noun || typeof index !== 'number')
    return `the design${segments.length > 0 ? `, ${segments.join(' ')}` : ''}`;
  const item = (design as unknown as Record<string, { id?: string; label?: string }[] | undefined>)[
    collection as string
  ]?.[index];
  const name =
    noun === 'link'
      ? `link ${index + 1}`
      : item?.label && item.label !== item.id
        ? `${noun} ${item.label} (${item.id})`
        : `${noun} ${item?.id ?? index + 1}`;
  const fieldWords = field.map((part) => (typeof part === 'number' ? `#${part + 1}` : part)).join(' ');
  return fieldWords ? `${name}, ${fieldWords}` : name;
}

/**
 * The problem of giving host `index` an address another host has, said on this host's field and
 * naming the other host by label (the loader reports it on whichever host comes later in the file).
 */
export function addressClash(design: Design, index: number, value: unknown): LoadProblem | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const spelled = (address: string) => address.trim().toLowerCase().replace(/\.$/, '');
  const other = design.hosts.find((host, i) => i !== index && spelled(host.address) === spelled(value));
  if (!other) return undefined;
  const name = other.label && other.label !== other.id ? `${other.label} (${other.id})` : other.id;
  return {
    path: `hosts[${index}].address`,
    segments: ['hosts', index, 'address'],
    message: `'${value}' is already the address of host ${name}; two hosts may not share an address`,
  };
}
