/**
 * The y axis of a ĝ panel and its shaded infeasible region (pure, unit-tested): g > 0 is infeasible, so
 * the shading runs from 0 to the top of the axis, and nothing is shaded when every ĝ is ≤ 0 (the axis then
 * ends at 0). Shading up to the data's maximum would paint the feasible band between the highest ĝ and 0
 * red on a run that passes.
 */

/** The smallest of 1, 2, 2.5, 5 × a power of ten that is ≥ `x` (> 0). */
export function niceCeil(x: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(x));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= x * (1 - 1e-12)) return step * magnitude;
  return 10 * magnitude;
}

export interface GAxis {
  /** The axis top. */
  readonly max: number;
  /** The shaded infeasible band [0, max], or null when no ĝ is above 0. */
  readonly infeasible: readonly [number, number] | null;
}

export function gAxis(values: Iterable<number | null>): GAxis {
  let highest = 0;
  for (const v of values) if (v !== null && Number.isFinite(v) && v > highest) highest = v;
  if (highest <= 0) return { max: 0, infeasible: null };
  const max = niceCeil(highest * 1.05);
  return { max, infeasible: [0, max] };
}

/** The echarts markArea that shades the band (to put on one series of the panel). */
export function infeasibleArea(axis: GAxis): object {
  return axis.infeasible === null ? {} : { markArea: { silent: true, itemStyle: { color: 'rgba(214, 39, 40, 0.12)' }, data: [[{ yAxis: axis.infeasible[0] }, { yAxis: axis.infeasible[1] }]] } };
}

/** What a chart element states of its shading, for tests and assistive text: "0 to 0.5" or "none". */
export function bandText(axis: GAxis): string {
  return axis.infeasible === null ? 'none' : `${axis.infeasible[0]} to ${axis.infeasible[1]}`;
}
