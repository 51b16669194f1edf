import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ChromiumMissingError, printPdf, screenshotPng } from '../../report/pdf';
import { parseReportTarget, reportHtml } from '../../report/report';
import { openWorkspace, resolveDatabasePath } from '../../store/database';
import { stringifyJson } from '../json';
import type { CliOutput } from '../output';
import { FORCE_OPTION, refusingExisting } from '../overwrite';
import { refuseExisting, writeFileSafely } from '../../data/safe-write';
import { UsageError } from '../usage-error';

export const reportHelp = `fairbound report <run:ID | experiment:ID | ID --kind run|experiment> --out report.html [--pdf report.pdf] [--png report.png] [--force] [--db <file>] [--json]
  Writes a self-contained HTML audit report (inline CSS and SVG charts, no external references) of a stored
  training run or experiment: the dataset's rows per group and class, the constraints and δ, the verdict
  (runs: passed / No Solution Found with every base node's safety-test interval; experiments: whether each
  Seldonian model's probability of violation stayed within δ), the candidate-selection curves (runs) or the
  three experiment plots, the settings, backend, seeds and software versions. --pdf prints it through
  Chromium (/usr/bin/chromium, or CHROMIUM_PATH); without Chromium --pdf exits 1. --png writes a full-page
  screenshot. Run and experiment ids are separate, so a bare id needs --kind. An existing file is replaced
  only with --force (exit 2 otherwise); each is written to a temporary file in its folder and renamed.`;

export async function runReportCommand(args: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      pdf: { type: 'string' },
      png: { type: 'string' },
      kind: { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...FORCE_OPTION,
    },
  });
  if (positionals.length !== 1) throw new UsageError(`report takes one target, run:<id> or experiment:<id> (got ${positionals.length})`);
  if (!values.out && !values.pdf && !values.png) throw new UsageError('report needs --out <file.html> (and/or --pdf, --png)');
  const target = parseReportTarget(positionals[0], values.kind);
  const options = { overwrite: values.force };
  // Every output is checked before anything is written or Chromium started.
  await refusingExisting(() => refuseExisting([values.out, values.pdf, values.png].filter((f) => f !== undefined), options));
  const db = openWorkspace(resolveDatabasePath(values.db));
  let html: string;
  try {
    html = reportHtml(db, target);
  } finally {
    db.close();
  }
  const files: string[] = [];
  if (values.out) {
    const htmlFile = values.out;
    mkdirSync(dirname(htmlFile), { recursive: true });
    await refusingExisting(() => writeFileSafely(htmlFile, html, options));
    files.push(htmlFile);
  }
  try {
    if (values.pdf) {
      mkdirSync(dirname(values.pdf), { recursive: true });
      const pdfFile = values.pdf;
      await refusingExisting(() => printPdf(html, pdfFile, options));
      files.push(values.pdf);
    }
    if (values.png) {
      mkdirSync(dirname(values.png), { recursive: true });
      const pngFile = values.png;
      await refusingExisting(() => screenshotPng(html, pngFile, options));
      files.push(values.png);
    }
  } catch (error) {
    if (error instanceof ChromiumMissingError) {
      out.stderr(`error: ${error.message}${files.length ? ` (the HTML report was written to ${files.join(', ')})` : ''}`);
      return 1;
    }
    throw error;
  }
  out.stdout(values.json ? stringifyJson({ target, files }) : `wrote ${files.join(', ')}`);
  return 0;
}
