// Lint keeps the dependency direction: src-shared is pure TypeScript.
import tseslint from 'typescript-eslint';
import { layersPlugin } from './eslint.layers.js';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'zlib', 'url', 'http', 'net', 'stream', 'util', 'events'];

/** The bare Node built-in names (the `node:` ones are a pattern), each with the given message. */
const nodeBuiltinPaths = (message) => nodeBuiltins.filter((n) => !n.includes('*')).map((name) => ({ name, message }));

/**
 * Lints the <script> blocks of single-file components with the TypeScript parser, so the renderer's
 * import rules reach the .vue files too (there is no Vue parser among the dev dependencies). Everything
 * outside the blocks becomes an empty line, which keeps the reported line numbers those of the file.
 */
const vueScriptBlocks = {
  meta: { name: 'vue-script-blocks' },
  preprocess(text) {
    let inScript = false;
    const lines = text.split('\n').map((line) => {
      if (!inScript && /^<script\b[^>]*>\s*$/.test(line)) inScript = true;
      else if (inScript && /^<\/script>\s*$/.test(line)) inScript = false;
      else if (inScript) return line;
      return '';
    });
    return [{ text: lines.join('\n'), filename: 'script.ts' }];
  },
  postprocess: (messages) => messages.flat(),
  supportsAutofix: false,
};

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
    files: ['src-shared/**/*.ts'],
    rules: {
      // The shared plot options are typed with ECharts' option types; the chart library itself belongs to each side.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'echarts', allowTypeImports: true, message: 'src-shared may use only the types of ECharts.' }],
          patterns: [{ group: ['echarts/*'], allowTypeImports: true, message: 'src-shared may use only the types of ECharts.' }],
        },
      ],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src-renderer/**'], message: 'main never imports the renderer.' }] }],
    },
  },

  {
    files: ['src-renderer/**/*.vue'],
    processor: vueScriptBlocks,
  },
  {
    // Components use their imports in the template, which the script-only view of a .vue file cannot see.
    files: ['src-renderer/**/*.vue/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
  {
    // The UI reaches main only through the contract (src-shared) over the bridge.
    files: ['src-renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltinPaths('The renderer runs in a sandboxed browser window: no Node built-ins.'),
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a sandboxed browser window: no Node built-ins.' },
            { group: ['electron', 'electron/*'], message: 'The renderer reaches main only through the preload bridge.' },
            { group: ['better-sqlite3'], message: 'The renderer must not touch the database.' },
            { group: ['@tensorflow/*'], message: 'The renderer does not run TensorFlow.js.' },
            { group: ['**/src-main/**'], message: 'The renderer imports only src-shared and its own code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/**/*.ts', 'src-shared/**/*.ts', 'src-renderer/**/*.ts', 'src-renderer/**/*.vue/*.ts'],
    plugins: { fairbound: layersPlugin },
    rules: { 'fairbound/layers': 'error' },
  },
);
