// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

/** Imports that tie code to one runtime; `core/` must run everywhere (the folders by runtime of the README's project layout). */
const platformModules = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'electron',
  'react',
  'react-dom',
  '@xyflow/*',
  'zustand',
  'ssh2',
];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'core/schema/generated/',
      'core/generate/generated/',
      'test/fixtures/golden/',
      'coverage/',
      'test-results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // CommonJS by necessity: the hook that scripts/start-desktop.ts preloads into Electron's installer.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: platformModules,
              message: 'core/ is pure TypeScript: no Node, DOM, Electron or React imports.',
            },
            {
              group: ['**/deploy/**', '**/electron/**', '**/renderer/**', '**/cli/**'],
              message: 'core/ imports nothing above it.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['cli/**/*.ts', 'deploy/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', '**/electron/**', '**/renderer/**'],
              message: 'cli/ and deploy/ never import electron or renderer.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}', 'test/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', '**/electron/**', '**/deploy/**', '**/cli/**', 'node:*', 'ssh2'],
              message:
                'renderer/ runs in a browser page: it imports core/ and talks to the platform only through core/host.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // Only the two entry points import Electron at run time; the rest runs in plain Node tests.
    files: ['electron/**/*.ts'],
    ignores: ['electron/main/index.ts', 'electron/preload/index.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron'],
              allowTypeImports: true,
              message:
                'Only electron/main/index.ts and electron/preload/index.ts import Electron at run time; the rest runs in plain Node tests.',
            },
            { group: ['**/renderer/**', '**/cli/**'], message: 'electron/ never imports renderer/ or cli/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'path',
                'os',
                'child_process',
                'crypto',
                '**/deploy/**',
                '**/main/**',
                '**/renderer/**',
                '**/cli/**',
              ],
              message:
                'The preload runs sandboxed: it imports only electron, core/host.ts and its own protocol.',
            },
          ],
        },
      ],
    },
  },
);
