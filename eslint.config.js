// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Imports that tie code to one runtime; `core/` must run everywhere (STYLE.md, "Layout"). */
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
);
