/**
 * Export in the Seldonian Experiments layout (X:experiments.py `write_trial_result`,
 * `aggregate_results`), so the library's plotting code reads our results:
 *   <model>_results/trial_data/data_frac_{φ:.4f}_trial_{i}.csv   one header + one row
 *   <model>_results/<model>_results.csv                          all rows: fractions in order, then trials
 * where <model> is our model name with `-` as `_` (`qsa-features` → `qsa_features`). Seldonian models
 * have the columns `data_frac,trial_i,performance,passed_safety,gvec`, baselines the same without
 * `passed_safety`. Cells are written as pandas writes them: floats as Python's repr, NaN as an empty
 * cell, booleans as `True`/`False`, gvec as numpy's `str` of the array (e.g. `[-0.0132]`, `[-inf]`).
 */
import { join } from 'node:path';
import { writeFilesSafely, type SafeWriteOptions } from '../data/safe-write';
import type { ModelKind } from './models/model-type';
import { numpyArrayString, pythonFloat } from './python-format';
import type { TrialResult } from './types';

type ExportedTrial = Pick<TrialResult, 'fraction' | 'trialIndex' | 'passed' | 'performance' | 'g'>;

/** `qsa-features` → `qsa_features`. */
export function exportModelName(model: string): string {
  return model.replaceAll('-', '_');
}

/** The trial file's name for fraction φ and trial i: `data_frac_0.0100_trial_3.csv`. */
export function trialFileName(fraction: number, trialIndex: number): string {
  return `data_frac_${fraction.toFixed(4)}_trial_${trialIndex}.csv`;
}

/** Python's csv module, QUOTE_MINIMAL: quote a cell holding a comma, a quote or a line break. */
function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function trialCsvHeader(kind: ModelKind): string {
  return kind === 'seldonian' ? 'data_frac,trial_i,performance,passed_safety,gvec' : 'data_frac,trial_i,performance,gvec';
}

export function trialCsvRow(kind: ModelKind, t: ExportedTrial): string {
  const cells = [pythonFloat(t.fraction), String(t.trialIndex), Number.isNaN(t.performance) ? '' : pythonFloat(t.performance)];
  if (kind === 'seldonian') cells.push(t.passed ? 'True' : 'False');
  cells.push(numpyArrayString(t.g));
  return cells.map(csvCell).join(',');
}

/** One trial's file: header and row, each ending in a newline (pandas' `to_csv`). */
export function trialCsv(kind: ModelKind, t: ExportedTrial): string {
  return `${trialCsvHeader(kind)}\n${trialCsvRow(kind, t)}\n`;
}

/** The concatenation: rows ordered by the experiment's fraction order, then trial index. */
export function resultsCsv(kind: ModelKind, trials: readonly ExportedTrial[], fractions: readonly number[]): string {
  const order = (t: ExportedTrial): number => fractions.indexOf(t.fraction);
  const sorted = [...trials].sort((a, b) => order(a) - order(b) || a.trialIndex - b.trialIndex);
  return `${[trialCsvHeader(kind), ...sorted.map((t) => trialCsvRow(kind, t))].join('\n')}\n`;
}

export interface ExportInput {
  readonly fractions: readonly number[];
  readonly models: readonly { readonly name: string; readonly kind: ModelKind }[];
  readonly trials: readonly (ExportedTrial & { readonly model: string })[];
}

/**
 * Writes the layout under `outDir`; returns the files written (relative to it). Models without trials get
 * no folder. Existing files are replaced only with `overwrite`; otherwise the first one found is refused
 * before any file is written. Each file goes through a temporary file and a rename (data/safe-write.ts).
 */
export function writeExperimentExport(outDir: string, input: ExportInput, options: SafeWriteOptions = {}): string[] {
  const planned: { readonly file: string; readonly data: string }[] = [];
  for (const model of input.models) {
    const trials = input.trials.filter((t) => t.model === model.name);
    if (trials.length === 0) continue;
    const name = exportModelName(model.name);
    const folder = `${name}_results`;
    for (const t of trials) planned.push({ file: join(folder, 'trial_data', trialFileName(t.fraction, t.trialIndex)), data: trialCsv(model.kind, t) });
    planned.push({ file: join(folder, `${name}_results.csv`), data: resultsCsv(model.kind, trials, input.fractions) });
  }
  writeFilesSafely(outDir, planned, options);
  return planned.map((p) => p.file);
}
