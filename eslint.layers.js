// The dependency rules of ARCHITECTURE.md, checked on every relative import (static, re-export, dynamic,
// require): each specifier is resolved against its file and the folder it lands in must be one the
// importing folder may use. Bare package imports are left to the no-restricted-imports blocks.
import { dirname, relative, resolve, sep } from 'node:path';

const repo = dirname(new URL(import.meta.url).pathname);

/** src-main folder → the src-main folders it may import (src-shared is open to all of them). */
export const SRC_MAIN_LAYERS = {
  logging: [],
  errors: [],
  store: ['errors'],
  data: ['errors', 'store'],
  engine: ['errors', 'data'],
  deep: ['errors', 'data', 'engine'],
  runs: ['errors', 'store', 'data', 'engine', 'deep'],
  experiments: ['errors', 'store', 'data', 'engine', 'deep'],
  audit: ['errors', 'store', 'data', 'engine', 'deep', 'runs'],
  report: ['errors', 'store', 'data', 'engine', 'deep', 'runs', 'audit', 'experiments'],
  certificate: ['errors', 'store', 'data', 'engine', 'deep', 'runs', 'audit'],
  jobs: ['logging', 'errors', 'store', 'data', 'engine', 'deep', 'runs', 'audit', 'experiments', 'report'],
  services: ['errors', 'store', 'data', 'engine', 'deep', 'runs', 'audit', 'experiments', 'report', 'jobs', 'certificate'],
  bridge: ['logging', 'errors', 'services'],
  cli: ['logging', 'errors', 'store', 'data', 'engine', 'deep', 'runs', 'audit', 'experiments', 'report', 'jobs', 'services', 'bridge', 'certificate'],
  shell: ['logging', 'errors', 'store', 'deep', 'jobs', 'services'],
};

/** Where a repository path belongs: ['src-main', folder] | ['src-shared'] | ['src-renderer'] | [other]. */
function place(path) {
  const parts = relative(repo, path).split(sep);
  if (parts[0] === 'src-main') return { root: 'src-main', folder: parts[1] };
  return { root: parts[0], folder: undefined };
}

function violation(fromFile, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const from = place(fromFile);
  const to = place(resolve(dirname(fromFile), specifier));
  if (from.root === 'src-shared' && to.root !== 'src-shared') return 'src-shared is pure: it imports only itself';
  if (from.root === 'src-renderer' && to.root !== 'src-renderer' && to.root !== 'src-shared') {
    return 'the renderer imports only src-shared and its own code';
  }
  if (from.root !== 'src-main' || to.root !== 'src-main' || from.folder === to.folder) return undefined;
  const allowed = SRC_MAIN_LAYERS[from.folder];
  if (allowed === undefined) return `src-main/${from.folder} is not in the layer table (eslint.layers.js, ARCHITECTURE.md)`;
  if (to.folder === undefined || !allowed.includes(to.folder)) {
    return `src-main/${from.folder} may import only ${allowed.length ? allowed.join(', ') : 'src-shared'} (ARCHITECTURE.md), not src-main/${to.folder ?? '.'}`;
  }
  return undefined;
}

const layersRule = {
  meta: { type: 'problem', schema: [], messages: { wrongWay: '{{reason}}' } },
  create(context) {
    const check = (node, source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      // physicalFilename: a .vue file's script block is linted as a virtual file below the .vue path.
      const reason = violation(context.physicalFilename, source.value);
      if (reason) context.report({ node, messageId: 'wrongWay', data: { reason } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0]);
      },
    };
  },
};

export const layersPlugin = { rules: { layers: layersRule } };
