/**
 * The Content Security Policy of the designer page, defined once: the desktop app sends it as a
 * response header with every file it serves, and the web build carries it in the page's meta
 * element (put there by vite.config.ts), so the page is held to the same rules in a browser.
 */

/** Directive → allowed sources, in the order they are written. */
const DIRECTIVES: readonly (readonly [string, readonly string[]])[] = [
  ['default-src', ["'none'"]],
  ['script-src', ["'self'"]],
  // React Flow positions nodes with inline `style` attributes.
  ['style-src', ["'self'", "'unsafe-inline'"]],
  // The diagram pictures html-to-image draws.
  ['img-src', ["'self'", 'data:', 'blob:']],
  ['font-src', ["'self'", 'data:']],
  ['connect-src', ["'self'"]],
  ['worker-src', ["'self'"]],
  ['manifest-src', ["'none'"]],
  ['media-src', ["'none'"]],
  ['object-src', ["'none'"]],
  ['frame-src', ["'none'"]],
  ['child-src', ["'none'"]],
  ['frame-ancestors', ["'none'"]],
  ['base-uri', ["'none'"]],
  ['form-action', ["'none'"]],
];

/**
 * Directives only a response header can carry: CSP level 3 ignores them in a meta element, and
 * Chromium logs an error for each one it meets there.
 */
export const HEADER_ONLY_DIRECTIVES: readonly string[] = ['frame-ancestors'];

/** How the policy reaches the page: a response header, or the page's own meta element. */
export type PolicyDelivery = 'header' | 'meta';

/**
 * The policy as a header value or meta `content`. Scripts and workers come only from the page's
 * own origin and strings are never evaluated (no `'unsafe-eval'`: the design validator and the
 * templates are precompiled at build time); nothing is fetched from anywhere else; no frames,
 * plugins, forms or `<base>`.
 */
export function contentSecurityPolicy(delivery: PolicyDelivery = 'header'): string {
  return DIRECTIVES.filter(([name]) => delivery === 'header' || !HEADER_ONLY_DIRECTIVES.includes(name))
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/** What renderer/index.html holds in place of the policy, until the build writes it in. */
export const CONTENT_SECURITY_POLICY_PLACEHOLDER = '%TOPOFORGE_CONTENT_SECURITY_POLICY%';
