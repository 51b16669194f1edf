// Every verdict's guarantee is stated once, in src-shared/domain/guarantee-wording.ts: no face states it
// another way (a scan of the sources and the README for guarantee phrases outside the module and an
// allow-list), and each face's output for a passed run contains exactly the module's sentence.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/deep/backends';
import { runReportHtml } from '../../src-main/report/report';
import { escapeHtml } from '../../src-main/report/html';
import { storedRunDetail } from '../../src-main/services/runs';
import { openWorkspace, type WritableDB } from '../../src-main/store/database';
import { getRun } from '../../src-main/store/runs';
import { runVerdict } from '../../src-renderer/src/lib/run-verdict';
import * as wording from '../../src-shared/domain/guarantee-wording';
import { cli } from '../support/cli';
import { runStoredBandsRun } from '../support/tiny-run';

const ROOT = join(__dirname, '..', '..');
const MODULE = 'src-shared/domain/guarantee-wording.ts';

/** Phrases that state (or misstate) a guarantee. */
const PHRASES = [
  /with probability (at least|at most|≥|≤)/i,
  /with (high )?confidence/i,
  /probability (at least )?1 ?[−-] ?δ/i,
  /holds for this model/i,
  /guaranteed|guarantees? that/i,
  /the constraint (is satisfied|is broken)/i,
];

/** Places that state a bound's own mathematics (one end of an interval, a library's definition), not a verdict. */
const ALLOWED: readonly (readonly [string, string])[] = [
  ['src-main/audit/group-table.ts', 'but with confidence intervals'],
  ['src-main/audit/audit.ts', 'with confidence 1 − δ, while the pair'],
  ['src-main/cli/commands/audit.ts', 'each end holds with confidence'],
  ['src-renderer/src/components/GroupRatesTable.vue', "MetricFrame with confidence"],
  ['src-shared/bounds/hoeffding.ts', 'with probability ≥ 1 − δ,'],
  ['src-shared/bounds/betting.ts', 'holds with probability 1 − δ,'],
  ['README.md', 'each end holds with confidence 1 − δ'],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|vue)$/.test(name) ? [path] : [];
  });
}

describe('guarantee phrases', () => {
  it('appear only in the wording module, the README quotes of it and the allow-listed definitions', () => {
    const sources = [...files(join(ROOT, 'src-main')), ...files(join(ROOT, 'src-renderer', 'src')), ...files(join(ROOT, 'src-shared')), join(ROOT, 'README.md')];
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const quoted = readme.split('\n').filter((l) => l.startsWith('> ')).map((l) => l.slice(2));
    const offending: string[] = [];
    for (const path of sources) {
      const rel = relative(ROOT, path).split('\\').join('/');
      if (rel === MODULE) continue;
      readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
        if (!PHRASES.some((p) => p.test(line))) return;
        if (ALLOWED.some(([file, text]) => file === rel && line.includes(text))) return;
        if (rel === 'README.md' && quoted.some((q) => line === `> ${q}`)) return;
        offending.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offending).toEqual([]);
  });

  it("the README quotes the module's sentences as it writes them", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const q = { source: 'ACC >= 0.6', delta: 0.05, estimates: wording.SOFT };
    const hard = { kind: 'hard', threshold: 0.5 } as const;
    const expected = [
      wording.qsaPassedSentence({ ...q, bound: 'student-t' }),
      wording.qsaPassedSentence({ ...q, bound: 'hoeffding' }),
      wording.qsaNoSolutionSentence(),
      ...(['holds', 'violated', 'inconclusive'] as const).map((verdict) => wording.auditVerdictSentence({ verdict, delta: 0.05, bound: 'clopper-pearson', estimates: hard, guarantee: 'independent' })),
      wording.auditVerdictSentence({ verdict: 'holds', delta: 0.05, bound: 'betting', estimates: wording.SOFT, guarantee: 'independent' }),
      wording.auditVerdictSentence({ verdict: 'holds', delta: 0.05, bound: 'clopper-pearson', estimates: hard, guarantee: 'none-trained-rows' }),
      wording.experimentConclusionSentence('within', 0.95),
      wording.groupAccuracyNote(0.5),
    ];
    for (const sentence of expected) expect(readme).toContain(sentence);
  });

  it('words each bound by whether it is approximate, and each rate by soft or hard', () => {
    expect(wording.boundQualifier('student-t')).toMatch(/^approximately/);
    for (const b of ['hoeffding', 'clopper-pearson', 'betting'] as const) expect(wording.boundQualifier(b)).toMatch(/^exactly/);
    expect(wording.guaranteeBound('exact', 'hard')).toBe('clopper-pearson');
    expect(wording.guaranteeBound('exact', 'soft')).toBe('betting');
    expect(wording.rateKindLabel(wording.SOFT)).toBe('soft (expected) rate');
    expect(wording.rateKindLabel({ kind: 'hard', threshold: 0.5 }, 'accuracy')).toBe('accuracy at threshold 0.5');
  });
});

describe("a passed run's faces", () => {
  const SOURCE = 'ACC >= 0.3';
  let dir: string, dbPath: string, db: WritableDB, runId: number;
  beforeAll(async () => {
    await selectBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'fairbound-wording-'));
    dbPath = join(dir, 'w.db');
    db = openWorkspace(dbPath);
    runId = await runStoredBandsRun(db, SOURCE, 60);
  }, 60_000);
  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sentence = (): string => wording.qsaPassedSentence({ source: SOURCE, delta: 0.05, bound: wording.qsaGuaranteeBound('student-t'), estimates: wording.RUN_ESTIMATES });

  it('passed', () => {
    expect(getRun(db, runId)?.status).toBe('passed');
  });

  it('`run show` states the sentence and labels the accuracy', async () => {
    const r = await cli('run', 'show', String(runId), '--db', dbPath);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`guarantee: ${sentence()}\n`);
    expect(r.stdout).toContain('accuracy at threshold 0.5 on the safety rows');
  });

  it('the report states the sentence and labels the accuracy', () => {
    const html = runReportHtml(db, runId);
    expect(html).toContain(`<p>${escapeHtml(sentence())}</p>`);
    expect(html).not.toContain('holds for this model');
    expect(html).toContain(escapeHtml(wording.groupAccuracyNote(0.5)));
  });

  it('the run page states the sentence', () => {
    const run = getRun(db, runId);
    if (!run) throw new Error('no run');
    const v = runVerdict(storedRunDetail(db, run));
    expect(v.headline).toBe('PASSED');
    expect(v.lines.join('\n')).toContain(sentence());
  });
});
