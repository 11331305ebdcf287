import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY_PLACEHOLDER,
  contentSecurityPolicy as pagePolicy,
} from '../../core/content-security-policy';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  contentSecurityPolicy,
  designerWindowOptions,
  isAppUrl,
  isRequestAllowed,
  mayGrantPermission,
  mayNavigate,
  originForLog,
  privilegedSchemes,
  responseHeaders,
  secureWebPreferences,
} from '../../electron/main/security';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILT_PAGE = join(ROOT, 'dist', 'web', 'index.html');
if (!existsSync(BUILT_PAGE) && process.env.CI === 'true') throw new Error(`${BUILT_PAGE} is missing`);

/** The `content` of every CSP meta element of a page. */
function metaPolicies(html: string): string[] {
  return [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/g)].map(
    (match) => match[1]!,
  );
}

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((directive) => {
      const [name, ...sources] = directive.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

/**
 * Electron's security checklist, item by item, as what each means for the page: no Node in any of
 * its contexts, isolation and the OS sandbox, web security, nothing experimental or embedded, no
 * navigation by a drop. Each item is a question about the preferences, not a copy of them.
 */
const CHECKLIST: [string, (preferences: Record<string, unknown>) => boolean][] = [
  [
    'no Node.js integration in the page, its workers or its frames',
    (preferences) =>
      Object.keys(preferences).filter((key) => key.startsWith('nodeIntegration')).length === 3 &&
      Object.entries(preferences).every(
        ([key, value]) => !key.startsWith('nodeIntegration') || value === false,
      ),
  ],
  ['context isolation', (preferences) => preferences.contextIsolation === true],
  ['the OS sandbox', (preferences) => preferences.sandbox === true],
  [
    'web security, without insecure content',
    (preferences) => preferences.webSecurity === true && preferences.allowRunningInsecureContent === false,
  ],
  [
    'no experimental or Blink features',
    (preferences) => preferences.experimentalFeatures === false && !('enableBlinkFeatures' in preferences),
  ],
  ['no <webview>', (preferences) => preferences.webviewTag === false],
  ['no navigation by dropping a file or link', (preferences) => preferences.navigateOnDragDrop === false],
];

describe('the designer window', () => {
  it.each(CHECKLIST)('follows the Electron security checklist: %s', (_item, holds) => {
    const preferences = secureWebPreferences({ preload: '/app/dist/desktop/preload.cjs', devTools: false });
    expect(holds(preferences as Record<string, unknown>)).toBe(true);
    // Turning any one of these the other way breaks the item (the question can fail).
    for (const [key, value] of Object.entries(preferences))
      if (typeof value === 'boolean' && holds({ ...preferences, [key]: !value }) === false) return;
    throw new Error('no preference the item depends on');
  });

  it('keeps the preload it is given and developer tools only while developing', () => {
    const packaged = secureWebPreferences({ preload: '/app/dist/desktop/preload.cjs', devTools: false });
    expect(packaged.preload).toBe('/app/dist/desktop/preload.cjs');
    expect(packaged.devTools).toBe(false);
    expect(secureWebPreferences({ preload: '/p.cjs', devTools: true }).devTools).toBe(true);
  });

  it('opens hidden, with exactly the checklist’s preferences, and shows once painted', () => {
    const options = designerWindowOptions({ preload: '/p.cjs', devTools: true });
    expect(options.show).toBe(false);
    expect(options.webPreferences).toEqual(secureWebPreferences({ preload: '/p.cjs', devTools: true }));
  });
});

describe('the content security policy', () => {
  const policy = directives(contentSecurityPolicy());

  it('runs scripts and workers from the app only, and never evaluates strings', () => {
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('worker-src')).toEqual(["'self'"]);
    expect(contentSecurityPolicy()).not.toMatch(/unsafe-eval|wasm-unsafe-eval|\*/);
  });

  it('denies by default and allows no remote content, frames, plugins or forms', () => {
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    for (const name of ['object-src', 'frame-src', 'frame-ancestors', 'base-uri', 'form-action'])
      expect(policy.get(name), name).toEqual(["'none'"]);
    for (const sources of policy.values())
      for (const source of sources) expect(source).not.toMatch(/^(https?:|wss?:|file:)/);
  });

  it('is the one the web build writes into the page, less what only a header can carry', () => {
    const page = readFileSync(join(ROOT, 'renderer', 'index.html'), 'utf8');
    expect(metaPolicies(page)).toEqual([CONTENT_SECURITY_POLICY_PLACEHOLDER]);
    const header = [...directives(contentSecurityPolicy())].filter(([name]) => name !== 'frame-ancestors');
    expect([...directives(pagePolicy('meta'))]).toEqual(header);
  });

  it.skipIf(!existsSync(BUILT_PAGE))('is in the built page exactly as the desktop app sends it', () => {
    expect(metaPolicies(readFileSync(BUILT_PAGE, 'utf8'))).toEqual([pagePolicy('meta')]);
  });

  it('is sent with every file, together with nosniff', () => {
    const headers = responseHeaders('text/javascript');
    expect(headers['Content-Security-Policy']).toBe(contentSecurityPolicy());
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
  });
});

describe('the app scheme', () => {
  it('is standard and secure, and bypasses nothing', () => {
    const [scheme] = privilegedSchemes();
    expect(scheme?.scheme).toBe('app');
    expect(scheme?.privileges).toMatchObject({
      standard: true,
      secure: true,
      supportFetchAPI: true,
      bypassCSP: false,
      allowServiceWorkers: false,
    });
    expect(APP_ENTRY_URL.startsWith(`${APP_ORIGIN}/`)).toBe(true);
  });

  it('recognises only its own host', () => {
    expect(isAppUrl('app://topoforge/index.html')).toBe(true);
    expect(isAppUrl('app://evil/index.html')).toBe(false);
    expect(isAppUrl('https://topoforge/index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});

describe('what the page may do', () => {
  it('never navigates', () => {
    for (const url of [
      APP_ENTRY_URL,
      'https://example.com/',
      'file:///etc/passwd',
      'app://topoforge/other.html',
    ])
      expect(mayNavigate(url)).toBe(false);
  });

  it('gets no permission', () => {
    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal'])
      expect(mayGrantPermission(permission)).toBe(false);
  });

  it('loads nothing from the network or the disk', () => {
    expect(isRequestAllowed('app://topoforge/assets/index.js')).toBe(true);
    expect(isRequestAllowed('data:image/png;base64,AAAA')).toBe(true);
    expect(isRequestAllowed('blob:app://topoforge/123')).toBe(true);
    for (const url of [
      'https://cdn.example.com/x.js',
      'http://127.0.0.1:8080/',
      'wss://example.com/socket',
      'file:///home/someone/.ssh/id_ed25519',
      'app://elsewhere/x.js',
      'chrome-extension://abc/x.js',
    ])
      expect(isRequestAllowed(url), url).toBe(false);
  });

  it('logs origins, never paths or queries', () => {
    expect(originForLog('https://example.com/secret?token=1')).toBe('https://example.com');
    expect(originForLog('app://topoforge/index.html')).toBe('app://topoforge');
    expect(originForLog('file:///home/someone/design.topo.json')).toBe('file:');
    expect(originForLog(undefined)).toBe('(none)');
  });
});
