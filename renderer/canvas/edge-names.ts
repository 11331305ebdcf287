/**
 * The accessible names of the canvas's routed edges ("uses link from api-1 to db"), kept beside
 * the edges instead of in them. A name reads the labels of the edge's ends; were it in the edge object, a
 * label typed into the inspector would give React Flow a new edges array, and it rebuilds its
 * lookups of every edge for that (about 200 ms at 5,000 services). The projection sets the names
 * (derive.ts); the canvas flushes them once its render is committed, and each edge whose name
 * changed hears of it and writes it on its element.
 */
export class EdgeNames {
  private readonly names = new Map<string, string>();
  private changed = new Set<string>();
  private readonly watchers = new Map<string, Set<() => void>>();

  /** The name of an edge, if it has one here. */
  get(id: string): string | undefined {
    return this.names.get(id);
  }

  /** Sets an edge's name; its watchers hear of a change at the next {@link flush}. */
  set(id: string, name: string): void {
    if (this.names.get(id) === name) return;
    this.names.set(id, name);
    this.changed.add(id);
  }

  /** Calls `listener` when the name of edge `id` changed; returns the function that stops it. */
  watch(id: string, listener: () => void): () => void {
    let listeners = this.watchers.get(id);
    if (!listeners) this.watchers.set(id, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.watchers.delete(id);
    };
  }

  /** Tells the watchers of every edge whose name changed since the last flush. */
  flush(): void {
    const changed = this.changed;
    this.changed = new Set();
    for (const id of changed) for (const listener of this.watchers.get(id) ?? []) listener();
  }
}

const namesByScene = new WeakMap<object, EdgeNames>();

/**
 * Ties a canvas's edge names to its routing scene, which every routed edge already reads from its
 * context (edges.tsx): one scene and one set of names for the canvas's lifetime.
 */
export function attachEdgeNames(scene: object, names: EdgeNames): void {
  namesByScene.set(scene, names);
}

/** The edge names tied to a routing scene, if any. */
export function edgeNamesOf(scene: object | undefined): EdgeNames | undefined {
  return scene ? namesByScene.get(scene) : undefined;
}
