/**
 * Questions the end-to-end tests and the canvas benchmark ask the running designer, as functions
 * that Playwright sends into the page (each one self-contained: it runs there, not here).
 */

/**
 * Whether the checks have caught up with the latest edit, failure and cut (`window.topoforge`'s
 * store): the answer is for this revision and no request is waiting (a failure or a cut changes no
 * revision; the checks are asked once the page is idle).
 */
export const checksCaughtUp = (): boolean => {
  const app = (
    window as unknown as {
      topoforge: {
        store: { getState(): { revision: number; analyzing: boolean; analysis?: { revision: number } } };
      };
    }
  ).topoforge;
  const state = app.store.getState();
  return state.analysis?.revision === state.revision && !state.analyzing;
};
