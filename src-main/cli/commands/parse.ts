import { parseArgs } from 'node:util';
import { renderCaret } from '../../../src-shared/constraint';
import type { CompiledConstraint, ConstraintError, SubRegime } from '../../../src-shared/constraint/ast';
import { compileForDataset } from '../../engine/compile-for-dataset';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { UsageError } from '../usage-error';

export const parseHelp = `fairbound parse '<constraint>' --columns M,F [--sub-regime classification|multiclass_classification]
                 [--delta 0.05] [--n-classes K] [--json]
  Parses a constraint, normalises it to g <= 0 and prints its base nodes with needed bound sides and δ shares.
  A bad constraint prints the error with a caret under its column and exits 2.`;

function parseNumberOption(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got '${raw}'`);
  return value;
}

/** The compiler's error as it is: `parse` prints it without a "where" prefix. */
class ParseFailure extends Error {
  constructor(readonly error: ConstraintError) {
    super(error.message);
  }
}

export function runParseCommand(args: string[], out: CliOutput): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      columns: { type: 'string' },
      'sub-regime': { type: 'string', default: 'classification' },
      delta: { type: 'string' },
      'n-classes': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`parse takes exactly one constraint string (got ${positionals.length})`);
  const subRegime = values['sub-regime'];
  if (subRegime !== 'classification' && subRegime !== 'multiclass_classification') {
    throw new UsageError(`--sub-regime must be classification or multiclass_classification, got '${subRegime}'`);
  }
  const columns = (values.columns ?? '').split(',').map((c) => c.trim()).filter((c) => c.length > 0);
  const delta = parseNumberOption('delta', values.delta, 0.05);
  const nClassesRaw = values['n-classes'];
  const nClasses = nClassesRaw === undefined ? undefined : parseNumberOption('n-classes', nClassesRaw, 0);
  if (nClasses !== undefined && (!Number.isInteger(nClasses) || nClasses < 2)) throw new UsageError(`--n-classes must be an integer ≥ 2, got '${nClassesRaw}'`);

  let c: CompiledConstraint;
  try {
    [c] = compileForDataset([{ source: positionals[0], delta }], { sensitiveColumns: columns, nClasses, subRegime: subRegime as SubRegime }, (_i, error) => new ParseFailure(error));
  } catch (error) {
    if (!(error instanceof ParseFailure)) throw error;
    out.stderr(`error: ${error.error.message}\n${renderCaret(error.error)}`);
    return 2;
  }
  const baseNodes = c.baseNodes.map((n) => ({
    name: n.name,
    measure_function: n.measure,
    class_index: n.classIndex,
    conditional_columns: n.conditionalColumns,
    lower_needed: n.lowerNeeded,
    upper_needed: n.upperNeeded,
    delta_lower: n.deltaLower,
    delta_upper: n.deltaUpper,
    infl_factor_lower: n.inflationLower,
    infl_factor_upper: n.inflationUpper,
  }));
  if (values.json) {
    out.stdout(stringifyJson({ constraint: c.source, parsed: c.parsed, delta: c.delta, base_nodes: baseNodes, warnings: c.warnings }));
    return 0;
  }
  const lines = [`g = ${c.parsed}  (safe when g <= 0, δ = ${c.delta})`, 'base nodes:'];
  for (const n of baseNodes) {
    const sides = [n.lower_needed ? `lower δ=${n.delta_lower}` : null, n.upper_needed ? `upper δ=${n.delta_upper}` : null].filter(Boolean).join(', ');
    lines.push(`  ${n.name}: ${sides}`);
  }
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  out.stdout(lines.join('\n'));
  return 0;
}
