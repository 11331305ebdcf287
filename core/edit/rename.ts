/**
 * Renaming an item, and every reference to it with it, so that the result loads again.
 */
import { DESIGN_REFERENCES } from '../schema/references';
import type { Design } from '../model';

/**
 * Renames an item and every reference to it: each field the schema marks as a reference
 * (`DESIGN_REFERENCES`: hosts of services, sites, groups, links, targets), and its position.
 */
export function renameItem(design: Design, from: string, to: string): void {
  if (from === to) return;
  for (const list of [design.sites, design.hosts, design.services, design.groups, design.entrypoints]) {
    for (const item of list ?? []) if (item.id === from) (item as { id: string }).id = to;
  }
  for (const { collection, key, many } of DESIGN_REFERENCES) {
    for (const item of (design[collection] ?? []) as object[]) {
      const fields = item as Record<string, unknown>;
      const value = fields[key];
      if (!many && value === from) fields[key] = to;
      if (many && Array.isArray(value)) fields[key] = value.map((id: unknown) => (id === from ? to : id));
    }
  }
  const position = design.layout?.[from];
  if (design.layout && position) {
    delete design.layout[from];
    design.layout[to] = position;
  }
}
