/**
 * The experiment plots as SVG, rendered by ECharts' server-side renderer (no DOM) from the same option
 * the UI shows (src-shared/plots/experiment-plot-options.ts).
 */
import * as echarts from 'echarts';
import type { ExperimentAggregates } from '../../src-shared/plots/experiment-aggregates';
import { experimentPlotOptions, type PlotOptions } from '../../src-shared/plots/experiment-plot-options';

export { experimentPlotOptions, type PlotOptions };

export interface SvgOptions extends PlotOptions {
  readonly width?: number;
  /** Default: 380 px per constraint row. */
  readonly height?: number;
}

/** The plots as an SVG document, rendered by ECharts without a DOM. */
export function renderExperimentSvg(aggregates: ExperimentAggregates, options: SvgOptions = {}): string {
  const rows = options.constraints?.length ?? aggregates.constraints.length;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: options.width ?? 1350, height: options.height ?? 380 * Math.max(1, rows) + 30 });
  try {
    chart.setOption(experimentPlotOptions(aggregates, options));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
