/**
 * Questions the end-to-end tests and the canvas benchmark ask the running designer, as functions
 * that Playwright sends into the page (each one self-contained: it runs there, not here).
 */

/** Whether the checks have caught up with the latest edit (`window.topoforge`'s store). */
export const checksCaughtUp = (): boolean => {
  const app = (
    window as unknown as {
      topoforge: { store: { getState(): { revision: number; analysis?: { revision: number } } } };
    }
  ).topoforge;
  const state = app.store.getState();
  return state.analysis?.revision === state.revision;
};
