/**
 * The three experiment plots: performance, probability of a solution and probability of
 * violating the constraint, against the amount of data φ·N on a log axis, ±1 standard error as a band,
 * a dashed line at δ on the violation panel; one row of three panels per constraint. The option is a
 * pure function of the aggregates, with no Node or DOM import (only ECharts' types), so the UI
 * (vue-echarts) can show the same figure that src-main/experiments/plots.ts renders to SVG.
 */
import type { EChartsOption, LineSeriesOption } from 'echarts';
import { PERFORMANCE_LABEL, type ExperimentAggregates, type MeanWithError, type ModelAggregate } from './experiment-aggregates';

/** matplotlib's tab10, the library's colours. */
const TAB10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const SYMBOLS = ['circle', 'rect', 'triangle', 'diamond', 'roundRect', 'pin', 'arrow'];
const PROBABILITY_TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

export interface PlotOptions {
  /** Which constraints get a row (default: all, in order). */
  readonly constraints?: readonly number[];
  /** The app's dark mode: a transparent background and light lines (the SVG export stays light). */
  readonly dark?: boolean;
}

/** Line dashes per model, so that a line drawn over another stays visible in its gaps. */
const DASHES = ['solid', 'dashed', 'dotted'] as const;

type Point = [number, number | null];

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** Three series per model and panel: the mean line, and a band drawn as lower + (upper − lower) stacked. */
function panelSeries(model: ModelAggregate, index: number, count: number, grid: number, value: (f: ModelAggregate['fractions'][number]) => MeanWithError | null): LineSeriesOption[] {
  const color = TAB10[index % TAB10.length];
  const axes = { xAxisIndex: grid, yAxisIndex: grid };
  const mean: Point[] = [], lower: Point[] = [], width: Point[] = [];
  for (const f of model.fractions) {
    const v = value(f);
    const m = v ? finite(v.mean) : null;
    const s = v ? finite(v.ste) : null;
    mean.push([f.amount, m]);
    lower.push([f.amount, m !== null && s !== null ? m - s : null]);
    width.push([f.amount, m !== null && s !== null ? 2 * s : null]);
  }
  const stack = `band-${grid}-${index}`;
  const band = { type: 'line' as const, name: model.name, ...axes, stack, symbol: 'none', silent: true, lineStyle: { opacity: 0 }, z: 1 };
  // The mean line first: the legend takes its symbol and colour from the first series of a name.
  return [
    {
      type: 'line',
      name: model.name,
      ...axes,
      data: mean,
      symbol: SYMBOLS[index % SYMBOLS.length],
      // Earlier models' markers are larger and drawn below: where models coincide, each still shows.
      symbolSize: 7 + 3 * (count - 1 - index),
      color,
      lineStyle: { width: 2, type: DASHES[index % DASHES.length] },
      connectNulls: false,
      z: 3 + index,
    },
    { ...band, data: lower, areaStyle: { opacity: 0 } },
    { ...band, data: width, areaStyle: { color, opacity: 0.2 } },
  ];
}

/**
 * The ECharts option: for each constraint a row of three panels. Pure (no DOM, no Node): the same
 * object drives the SVG export and the UI.
 */
export function experimentPlotOptions(aggregates: ExperimentAggregates, options: PlotOptions = {}): EChartsOption {
  const rows = options.constraints ?? aggregates.constraints.map((_, i) => i);
  const nRows = rows.length;
  const rowHeight = 100 / Math.max(1, nRows);
  const panelLefts = [6, 39, 72];
  const panelWidth = 25;
  const grids: NonNullable<EChartsOption['grid']> = [];
  const xAxes: NonNullable<EChartsOption['xAxis']> = [];
  const yAxes: NonNullable<EChartsOption['yAxis']> = [];
  const titles: NonNullable<EChartsOption['title']> = [];
  const series: LineSeriesOption[] = [];
  const performanceName = PERFORMANCE_LABEL[aggregates.performanceMetric];
  const ink = options.dark ? '#ddd' : '#000';
  const gridLine = options.dark ? '#3a3f47' : '#e5e5e5';

  rows.forEach((j, r) => {
    const constraint = aggregates.constraints[j];
    const top = r * rowHeight;
    titles.push({
      text: `${constraint.source}   (δ = ${constraint.delta})`,
      left: 'center',
      top: `${top + 1}%`,
      textStyle: { fontSize: 14, fontWeight: 'bold' },
    });
    const panels = [
      { title: 'Performance', yName: performanceName, probability: false },
      { title: 'Probability of solution', yName: 'Probability of solution', probability: true },
      { title: 'Probability of violation', yName: 'Probability of violation', probability: true },
    ];
    panels.forEach((panel, p) => {
      const grid = r * 3 + p;
      grids.push({ left: `${panelLefts[p]}%`, width: `${panelWidth}%`, top: `${top + rowHeight * 0.2}%`, height: `${rowHeight * 0.58}%`, containLabel: false });
      titles.push({ text: panel.title, left: `${panelLefts[p] + panelWidth / 2}%`, textAlign: 'center', top: `${top + rowHeight * 0.1}%`, textStyle: { fontSize: 12 } });
      xAxes.push({
        type: 'log',
        gridIndex: grid,
        logBase: 10,
        name: 'Amount of data',
        nameLocation: 'middle',
        nameGap: 24,
        splitLine: { show: true, lineStyle: { color: gridLine } },
      });
      yAxes.push({
        type: 'value',
        gridIndex: grid,
        name: panel.yName,
        nameLocation: 'middle',
        nameGap: 38,
        splitLine: { show: true, lineStyle: { color: gridLine } },
        ...(panel.probability
          ? { min: -0.05, max: 1.05, axisLabel: { customValues: PROBABILITY_TICKS }, axisTick: { customValues: PROBABILITY_TICKS } }
          : { scale: true }),
      });
    });
    aggregates.models.forEach((model, m) => {
      series.push(...panelSeries(model, m, aggregates.models.length, r * 3, (f) => f.performance));
      series.push(...panelSeries(model, m, aggregates.models.length, r * 3 + 1, (f) => f.probabilityOfSolution));
      series.push(...panelSeries(model, m, aggregates.models.length, r * 3 + 2, (f) => f.probabilityOfViolation[j]));
    });
    series.push({
      type: 'line',
      name: 'δ',
      xAxisIndex: r * 3 + 2,
      yAxisIndex: r * 3 + 2,
      data: [],
      markLine: {
        silent: true,
        symbol: 'none',
        lineStyle: { type: 'dashed', color: ink, width: 1.5 },
        label: { formatter: `δ = ${constraint.delta}`, position: 'insideEndTop' },
        data: [{ yAxis: constraint.delta }],
      },
    });
  });

  return {
    animation: false,
    backgroundColor: options.dark ? 'transparent' : '#fff',
    color: TAB10,
    title: titles,
    legend: { data: aggregates.models.map((m) => m.name), bottom: 0, itemGap: 24 },
    tooltip: { trigger: 'axis' },
    grid: grids,
    xAxis: xAxes,
    yAxis: yAxes,
    series,
  };
}

/** The three panels' names, as the plots title them. */
export const PANEL_NAMES = ['performance', 'probability of solution', 'probability of violation'] as const;

export interface CoincidingModels {
  readonly constraint: number;
  readonly panel: (typeof PANEL_NAMES)[number];
  readonly models: readonly string[];
}

/**
 * Models whose lines coincide on a panel (the same mean at every data fraction, to 1e-9): one would hide
 * the other without the markers and dashes, so the page says so.
 */
export function coincidingModels(aggregates: ExperimentAggregates): CoincidingModels[] {
  const found: CoincidingModels[] = [];
  const values: ((f: ModelAggregate['fractions'][number], j: number) => number | null)[] = [
    (f) => f.performance?.mean ?? null,
    (f) => f.probabilityOfSolution.mean,
    (f, j) => f.probabilityOfViolation[j]?.mean ?? null,
  ];
  aggregates.constraints.forEach((_, j) => {
    values.forEach((value, p) => {
      const key = (m: ModelAggregate): string | null => {
        const points = m.fractions.map((f) => value(f, j));
        if (points.every((v) => v === null || !Number.isFinite(v))) return null;
        return points.map((v) => (v === null || !Number.isFinite(v) ? 'x' : v.toFixed(9))).join('|');
      };
      const groups = new Map<string, string[]>();
      for (const m of aggregates.models) {
        const k = key(m);
        if (k !== null) groups.set(k, [...(groups.get(k) ?? []), m.name]);
      }
      for (const models of groups.values()) if (models.length > 1) found.push({ constraint: j, panel: PANEL_NAMES[p], models });
    });
  });
  return found;
}
