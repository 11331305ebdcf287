/**
 * Helps a sketch on its way: the first entrypoint, added from the findings panel's note, aimed at
 * the service clients are most likely to reach first.
 */
import { geometryOf } from '../canvas/geometry';
import { dropItem } from './commands';
import type { AppServices } from './services';

/**
 * Adds a direct entrypoint aimed at `target` (a service or group), above it, as one undoable
 * step, and selects it so the inspector shows its port and kind. Returns its id.
 */
export function addEntrypointTo(services: AppServices, target: string): string | undefined {
  const box = geometryOf(services.store.getState().design).boxes.get(target);
  if (!box) return undefined;
  const created = dropItem(
    services,
    { type: 'entrypoint', via: 'direct' },
    { x: box.absoluteX + box.width / 2, y: box.absoluteY + box.height / 2 },
  );
  if (created) {
    services.store.getState().select([created]);
    services.store.getState().setPanel('inspector');
  }
  return created;
}
