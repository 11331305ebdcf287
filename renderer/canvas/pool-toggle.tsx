/**
 * A pool's count and its collapse button, on the pool's node. Collapsing and expanding are edits
 * of the design's layout (collapse.ts): saved with it, and undone like any edit.
 */
import { registry } from '../app/app-commands';
import { useServices } from '../app/services';

/** The count of a collapsed pool and the button that expands it, or the button that collapses it. */
export function PoolToggle({ id, members }: { id: string; members: number | undefined }) {
  const services = useServices();
  const collapsed = members !== undefined;
  return (
    <button
      type="button"
      className="pool-toggle nodrag"
      data-testid={`pool-toggle-${id}`}
      aria-expanded={!collapsed}
      title={collapsed ? `Show the ${members} members of ${id}` : `Show ${id} as one node`}
      onClick={(event) => {
        event.stopPropagation();
        registry.run(collapsed ? 'arrange.expand-pool' : 'arrange.collapse-pool', services, {
          args: { pool: id },
        });
      }}
    >
      {collapsed ? `×${members} ▸` : '▾'}
    </button>
  );
}
