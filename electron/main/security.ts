/**
 * The security policy of the desktop shell, as data (Electron's security checklist,
 * https://www.electronjs.org/docs/latest/tutorial/security): the privileged `app:` scheme the
 * designer loads from, the Content Security Policy sent with every one of its files, the web
 * preferences of its window, and the decisions about navigation, new windows, permissions and
 * outgoing requests. electron/main/index.ts applies them; tests assert them without Electron.
 */
import type { BrowserWindowConstructorOptions, CustomScheme, WebPreferences } from 'electron';

/** The scheme of the app's own files. */
export const APP_SCHEME = 'app';
/** The one host of that scheme. */
export const APP_HOST = 'topoforge';
/** The origin of the designer; IPC is accepted from its main frame only. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The page the window loads. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * `app:` is standard (relative URLs, an origin for `'self'` and storage) and secure (a secure
 * context, like https), and lets the page `fetch` and load module scripts and workers from itself.
 * It gets nothing that weakens the page: no CSP bypass, no service workers, no streaming.
 */
export function privilegedSchemes(): CustomScheme[] {
  return [
    {
      scheme: APP_SCHEME,
      privileges: {
        standard: true,
        secure: true,
        supportFetchAPI: true,
        corsEnabled: true,
        codeCache: true,
        bypassCSP: false,
        allowServiceWorkers: false,
        stream: false,
      },
    },
  ];
}

/**
 * The Content Security Policy of every file the app serves. Scripts and workers only from the
 * app itself; no `'unsafe-eval'` (the design validator and the templates are precompiled, see
 * STYLE.md); no connections anywhere but the app; no frames, plugins, forms or `<base>`.
 * `style-src 'unsafe-inline'` is for the inline `style` attributes React Flow positions nodes with;
 * `data:` and `blob:` images are the diagram pictures: the export draws its SVG into a canvas for PNG.
 */
export function contentSecurityPolicy(): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'worker-src': ["'self'"],
    'manifest-src': ["'none'"],
    'media-src': ["'none'"],
    'object-src': ["'none'"],
    'frame-src': ["'none'"],
    'child-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/** Headers sent with every file of the app. */
export function responseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': contentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
}

/** Options of {@link secureWebPreferences}. */
export interface WebPreferencesOptions {
  /** Absolute path of the bundled preload script. */
  preload: string;
  /** Developer tools: on while developing, off in packaged builds. */
  devTools: boolean;
}

/**
 * The designer window's web preferences: an isolated, sandboxed renderer without Node, with web
 * security on, and nothing experimental.
 */
export function secureWebPreferences(options: WebPreferencesOptions): WebPreferences {
  return {
    preload: options.preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools,
  };
}

/** The designer window. */
export function designerWindowOptions(options: WebPreferencesOptions): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'Topoforge',
    // Shown once the page has painted, so the window never flashes white.
    show: false,
    webPreferences: secureWebPreferences(options),
  };
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** Whether `url` is one of the app's own files. */
export function isAppUrl(url: string): boolean {
  const parsed = parseUrl(url);
  return parsed !== undefined && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
}

/** The origin of `url` as it may appear in a log line (never its path or query). */
export function originForLog(url: string | undefined): string {
  if (url === undefined || url === '') return '(none)';
  const parsed = parseUrl(url);
  if (parsed === undefined) return '(unparsable)';
  // Node's URL gives custom schemes the origin "null"; Chromium gives a standard scheme its host.
  return parsed.host === '' ? parsed.protocol : `${parsed.protocol}//${parsed.host}`;
}

/**
 * Whether the window's session may make a request. The app needs nothing outside itself: every
 * network and file URL is refused, whoever asks, so no remote content can ever load.
 * `devtools:` serves the developer tools while developing.
 */
export function isRequestAllowed(url: string): boolean {
  const parsed = parseUrl(url);
  if (parsed === undefined) return false;
  if (parsed.protocol === `${APP_SCHEME}:`) return parsed.host === APP_HOST;
  return ['data:', 'blob:', 'devtools:'].includes(parsed.protocol);
}

/**
 * Navigation decision for `will-navigate`, `will-redirect` and `will-frame-navigate`: the page
 * never navigates. It is a single-page app that loads once; a link, a dropped file or an injected
 * `location = …` would leave the trusted origin, with the preload's host still attached.
 */
export function mayNavigate(_url: string): boolean {
  return false;
}

/** Permission decision (camera, notifications, clipboard reads, …): the designer needs none. */
export function mayGrantPermission(_permission: string): boolean {
  return false;
}
