/**
 * The report's candidate-selection curves: f, λ, g and the Lagrangian L per iteration in four small
 * panels, rendered to SVG by ECharts' server-side renderer (no DOM). The chosen iterate is marked in
 * every panel; g > 0 (infeasible) is shaded in the g panel, and the iterations whose g was infeasible
 * are shaded in the f panel.
 */
import * as echarts from 'echarts';
import type { RunIteration } from '../store/run-results';

const COLORS = ['#2f6fdb', '#d9480f', '#2b8a3e', '#7048e8', '#c2255c', '#0b7285'];

export interface CurveOptions {
  readonly chosenIndex: number | null;
  readonly constraintLabels: readonly string[];
  readonly width?: number;
  readonly height?: number;
}

/** Half-open iteration ranges [a, b) where any g > 0, at most `limit` of them (merged further if needed). */
export function infeasibleRanges(iterations: readonly RunIteration[], limit = 60): [number, number][] {
  const ranges: [number, number][] = [];
  let start: number | null = null;
  iterations.forEach((it, i) => {
    const bad = it.g.some((g) => g > 0 || Number.isNaN(g));
    if (bad && start === null) start = it.iteration;
    if (!bad && start !== null) {
      ranges.push([start, it.iteration]);
      start = null;
    }
    if (i === iterations.length - 1 && start !== null) ranges.push([start, it.iteration + 1]);
  });
  while (ranges.length > limit) {
    // Merge the two ranges with the smallest gap.
    let best = 0;
    for (let i = 1; i < ranges.length - 1; i++) if (ranges[i + 1][0] - ranges[i][1] < ranges[best + 1][0] - ranges[best][1]) best = i;
    ranges.splice(best, 2, [ranges[best][0], ranges[best + 1][1]]);
  }
  return ranges;
}

/** Keeps at most `max` points (every k-th, the last and the chosen one always). */
function thinned(iterations: readonly RunIteration[], chosen: number | null, max = 1500): RunIteration[] {
  if (iterations.length <= max) return [...iterations];
  const step = Math.ceil(iterations.length / max);
  return iterations.filter((it, i) => i % step === 0 || i === iterations.length - 1 || it.iteration === chosen);
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The ECharts option of the four panels (2 × 2 grid). */
export function candidateSelectionOption(iterations: readonly RunIteration[], options: CurveOptions): echarts.EChartsCoreOption {
  const points = thinned(iterations, options.chosenIndex);
  const m = options.constraintLabels.length;
  const panels = [
    { title: 'f (primary objective)', left: '6%', top: '8%' },
    { title: 'λ (Lagrange multipliers)', left: '56%', top: '8%' },
    { title: 'g (upper-bound prediction; > 0 infeasible)', left: '6%', top: '56%' },
    { title: 'L = f + Σ λ·g (Lagrangian)', left: '56%', top: '56%' },
  ];
  const grid = panels.map((p) => ({ left: p.left, top: p.top, width: '38%', height: '30%', containLabel: false }));
  const xAxis = panels.map((_, i) => ({ type: 'value', gridIndex: i, min: 0, max: Math.max(1, iterations.length - 1), name: i >= 2 ? 'iteration' : '', nameLocation: 'middle', nameGap: 22, axisLabel: { fontSize: 10 } }));
  const yAxis = panels.map((_, i) => ({ type: 'value', gridIndex: i, scale: true, axisLabel: { fontSize: 10 }, splitLine: { lineStyle: { color: '#eee' } } }));
  const chosenLine =
    options.chosenIndex === null
      ? undefined
      : { silent: true, symbol: 'none', lineStyle: { color: '#111', type: 'dashed', width: 1 }, label: { formatter: `chosen (${options.chosenIndex})`, fontSize: 10 }, data: [{ xAxis: options.chosenIndex }] };
  const line = (name: string, panel: number, data: (number | null)[][], color: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    type: 'line',
    xAxisIndex: panel,
    yAxisIndex: panel,
    data,
    showSymbol: false,
    lineStyle: { width: 1.4, color },
    itemStyle: { color },
    animation: false,
    ...extra,
  });
  const series: Record<string, unknown>[] = [];
  const ranges = infeasibleRanges(iterations);
  series.push(
    line('f', 0, points.map((p) => [p.iteration, finite(p.f)]), COLORS[0], {
      markLine: chosenLine,
      markArea: ranges.length > 0 ? { silent: true, itemStyle: { color: 'rgba(220, 53, 69, 0.10)' }, data: ranges.map(([a, b]) => [{ xAxis: a }, { xAxis: b }]) } : undefined,
    }),
  );
  for (let j = 0; j < m; j++) {
    const label = options.constraintLabels[j];
    series.push(line(`λ${m > 1 ? ` ${label}` : ''}`, 1, points.map((p) => [p.iteration, finite(p.lambda[j])]), COLORS[(j + 1) % COLORS.length], j === 0 ? { markLine: chosenLine } : {}));
    series.push(
      line(`g${m > 1 ? ` ${label}` : ''}`, 2, points.map((p) => [p.iteration, finite(p.g[j])]), COLORS[(j + 1) % COLORS.length], j === 0
        ? {
            markLine: chosenLine,
            markArea: { silent: true, itemStyle: { color: 'rgba(220, 53, 69, 0.12)' }, label: { show: true, position: 'insideTopRight', formatter: 'infeasible', fontSize: 10, color: '#b42318' }, data: [[{ yAxis: 0 }, { yAxis: 'max' }]] },
          }
        : {}),
    );
  }
  series.push(line('L', 3, points.map((p) => [p.iteration, finite(p.lagrangian)]), COLORS[4], { markLine: chosenLine }));
  return {
    animation: false,
    backgroundColor: '#fff',
    title: panels.map((p, i) => ({ text: p.title, left: p.left, top: i < 2 ? '1%' : '49%', textStyle: { fontSize: 12, fontWeight: 600 } })),
    grid,
    xAxis,
    yAxis,
    series,
  };
}

/** The four panels as an SVG string. */
export function candidateSelectionSvg(iterations: readonly RunIteration[], options: CurveOptions): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: options.width ?? 980, height: options.height ?? 560 });
  try {
    chart.setOption(candidateSelectionOption(iterations, options));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
