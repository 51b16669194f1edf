import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cyclicComponents, folderGraph, importEdges, sourceFiles, topFolder } from '../support/import-graph';

// The structural rules of ARCHITECTURE.md that ESLint cannot see: cycles between folders and file size.
const repo = fileURLToPath(new URL('../../', import.meta.url));
const srcMain = join(repo, 'src-main');
const MAX_LINES = 450;

describe('cycle detection (the check below can fail)', () => {
  it('finds a cycle of three folders and none in a chain', () => {
    const ring = new Map([
      ['a', new Map([['b', null]])],
      ['b', new Map([['c', null]])],
      ['c', new Map([['a', null]])],
      ['d', new Map([['a', null]])],
    ]);
    expect(cyclicComponents(ring)).toEqual([['a', 'b', 'c']]);
    const chain = new Map([
      ['a', new Map([['b', null]])],
      ['b', new Map([['c', null]])],
    ]);
    expect(cyclicComponents(chain)).toEqual([]);
  });
});

describe('src-main', () => {
  const edges = importEdges(srcMain);

  it('the edge reader sees static, re-export and dynamic imports', () => {
    const dynamic = edges.filter((edge) => readFileSync(edge.from, 'utf8').includes(`import('${edge.specifier}')`));
    const reExports = edges.filter((edge) => readFileSync(edge.from, 'utf8').includes(`export * from '${edge.specifier}'`) || new RegExp(`export \\{[^}]*\\} from '${edge.specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`).test(readFileSync(edge.from, 'utf8')));
    expect(edges.length).toBeGreaterThan(300);
    expect(dynamic.length).toBeGreaterThan(0);
    expect(reExports.length).toBeGreaterThan(0);
  });

  it('has no import cycle between its folders', () => {
    const graph = folderGraph(srcMain, edges);
    const cycles = cyclicComponents(graph).map((component) => {
      const examples = component.flatMap((from) =>
        component
          .filter((to) => graph.get(from)?.has(to))
          .map((to) => {
            const edge = graph.get(from)!.get(to)!;
            return `  ${relative(repo, edge.from)} → '${edge.specifier}'`;
          }),
      );
      return `${component.join(' ↔ ')}\n${examples.join('\n')}`;
    });
    expect(cycles, cycles.join('\n')).toEqual([]);
  });

  it('keeps every source file in a folder (the cycle check sees folders only)', () => {
    const topLevel = sourceFiles(srcMain).filter((file) => topFolder(srcMain, file) === undefined);
    expect(topLevel.map((file) => relative(repo, file))).toEqual([]);
  });
});

describe('file size', () => {
  it(`no hand-written .ts file in src-main or src-shared is over ${MAX_LINES} lines`, () => {
    const tooLong = ['src-main', 'src-shared']
      .flatMap((root) => sourceFiles(join(repo, root), ['.ts']))
      .filter((file) => !file.endsWith('.generated.ts'))
      .map((file) => ({ file: relative(repo, file), lines: readFileSync(file, 'utf8').replace(/\n$/, '').split('\n').length }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(tooLong).toEqual([]);
  });
});

describe('the renderer and src-shared', () => {
  it('src-renderer imports nothing from src-main, src-shared nothing outside itself', () => {
    const wrongWay = [
      ...importEdges(join(repo, 'src-renderer')).filter((edge) => relative(repo, edge.to).startsWith('src-main')),
      ...importEdges(join(repo, 'src-shared')).filter((edge) => !relative(repo, edge.to).startsWith('src-shared')),
    ].map((edge) => `${relative(repo, edge.from)} → '${edge.specifier}'`);
    expect(wrongWay).toEqual([]);
  });
});
