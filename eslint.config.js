// Lint keeps the dependency direction of design.md §2: src-shared is pure TypeScript.
import tseslint from 'typescript-eslint';
import { layersPlugin } from './eslint.layers.js';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'zlib', 'url', 'http', 'net', 'stream', 'util', 'events'];

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'dist/**', 'build/**', 'src-main/engine/wasm/build/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.filter((n) => !n.includes('*')).map((name) => ({ name, message: 'src-shared must not use Node built-ins.' })),
          patterns: [
            { group: ['node:*'], message: 'src-shared must not use Node built-ins.' },
            { group: ['electron', 'electron/*'], message: 'src-shared must not import Electron.' },
            { group: ['better-sqlite3'], message: 'src-shared must not touch the database.' },
            { group: ['@tensorflow/*'], message: 'src-shared must not import TensorFlow.js.' },
            { group: ['**/src-main/**', '**/src-renderer/**'], message: 'src-shared depends on nothing else in the project.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'process', 'require', 'Buffer', '__dirname', 'localStorage'],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src-renderer/**'], message: 'main never imports the renderer.' }] }],
    },
  },
  {
    files: ['src-main/**/*.ts', 'src-shared/**/*.ts', 'src-renderer/**/*.ts'],
    plugins: { fairbound: layersPlugin },
    rules: { 'fairbound/layers': 'error' },
  },
);
