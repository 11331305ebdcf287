/**
 * Loaded with `--require` into Electron's own installer (node_modules/electron/install.js) by
 * scripts/start-desktop.ts. The installer keeps the terminal, so its progress bar shows; what it
 * prints on failure (the error's stack) goes to file descriptor 3 instead, where the launcher reads
 * it to name the cause in one line. Node's fetch reports only "fetch failed" and hides why in
 * `cause` (no DNS, refused, a proxy's certificate): the hook adds that cause, or the line would
 * say nothing a person can act on.
 */
'use strict';
const { writeSync } = require('node:fs');
const { format } = require('node:util');

const REPORT_DESCRIPTOR = 3;

function report(entry) {
  try {
    writeSync(REPORT_DESCRIPTOR, `${JSON.stringify(entry)}\n`);
  } catch {
    // Started without the report pipe (by hand): nothing to tell.
  }
}

console.error = (...values) => report({ printed: format(...values) });

const originalFetch = globalThis.fetch;
if (typeof originalFetch === 'function') {
  globalThis.fetch = async (...request) => {
    try {
      return await originalFetch(...request);
    } catch (error) {
      const cause = error && error.cause;
      if (cause) report({ cause: cause.message ? String(cause.message) : String(cause) });
      throw error;
    }
  };
}
