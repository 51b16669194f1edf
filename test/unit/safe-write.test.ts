/**
 * Invariants under test: every export and report file goes through data/safe-write.ts — an exclusive
 * (`wx`) temporary file with an unpredictable name in the target's folder, then a rename. An existing
 * target (a file, or a symlink planted under the target's name) is refused unless overwrite (the CLI's
 * --force, exit 2 "… exists; use --force to overwrite"; the routes' `overwrite`, a `conflict`); with
 * overwrite a symlink is itself replaced and its pointee left untouched; a file or symlink planted at
 * the temporary name is never followed nor removed; a failed write leaves no temporary file behind.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cli } from '../support/cli';
import { useTempDir } from '../support/images';
import { withServices } from '../support/services';

/** When set, randomBytes answers these bytes (to plant a file at the temporary name in advance). */
const fixed = vi.hoisted(() => ({ bytes: undefined as Buffer | undefined }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, randomBytes: (n: number) => fixed.bytes ?? real.randomBytes(n) };
});

const { TargetExistsError, temporaryPathFor, writeFileSafely } = await import('../../src-main/data/safe-write');
const { writeExperimentExport } = await import('../../src-main/experiments/export');

const tempDir = useTempDir('fairbound-safe-write-');

/** A folder with `secret.txt` (the pointee) and `report.html`, a symlink to it planted under the target's name. */
function plantedLink(): { dir: string; target: string; pointee: string } {
  const dir = tempDir();
  const pointee = join(dir, 'secret.txt');
  writeFileSync(pointee, 'do not touch');
  const target = join(dir, 'report.html');
  symlinkSync(pointee, target);
  return { dir, target, pointee };
}

const temporaries = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('writeFileSafely', () => {
  it('writes the file through a temporary name in its folder and leaves no temporary file', () => {
    const dir = tempDir();
    const target = join(dir, 'a.html');
    writeFileSafely(target, '<p>1</p>');
    expect(readFileSync(target, 'utf8')).toBe('<p>1</p>');
    expect(temporaries(dir)).toEqual([]);
    expect(temporaryPathFor(target)).toMatch(new RegExp(`^${dir.replaceAll('\\', '\\\\')}[\\\\/]\\.a\\.html\\.[0-9a-f]{12}\\.tmp$`));
    expect(temporaryPathFor(target)).not.toBe(temporaryPathFor(target));
  });

  it('refuses an existing file unless overwrite, with the contract code conflict', () => {
    const dir = tempDir();
    const target = join(dir, 'a.html');
    writeFileSync(target, 'old');
    let caught: unknown;
    try {
      writeFileSafely(target, 'new');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TargetExistsError);
    expect((caught as InstanceType<typeof TargetExistsError>).code).toBe('conflict');
    expect(readFileSync(target, 'utf8')).toBe('old');
    writeFileSafely(target, 'new', { overwrite: true });
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(temporaries(dir)).toEqual([]);
  });

  it('refuses a symlink planted under the target name; with overwrite replaces the link, never its pointee', () => {
    const { dir, target, pointee } = plantedLink();
    expect(() => writeFileSafely(target, 'payload')).toThrow(TargetExistsError);
    expect(readFileSync(pointee, 'utf8')).toBe('do not touch');
    writeFileSafely(target, 'payload', { overwrite: true });
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('payload');
    expect(readFileSync(pointee, 'utf8')).toBe('do not touch');
    expect(temporaries(dir)).toEqual([]);
  });

  it('never follows nor removes a symlink planted at the temporary name', () => {
    const dir = tempDir();
    const pointee = join(dir, 'secret.txt');
    writeFileSync(pointee, 'do not touch');
    const target = join(dir, 'out.csv');
    fixed.bytes = Buffer.from('0123456789ab', 'hex');
    try {
      const planted = temporaryPathFor(target);
      symlinkSync(pointee, planted);
      expect(() => writeFileSafely(target, 'payload')).toThrow(/EEXIST/);
      expect(readFileSync(pointee, 'utf8')).toBe('do not touch');
      expect(lstatSync(planted).isSymbolicLink()).toBe(true);
      expect(existsSync(target)).toBe(false);
    } finally {
      fixed.bytes = undefined;
    }
  });

  it('leaves no temporary file behind when the write fails', () => {
    const dir = tempDir();
    // The target is a non-empty folder: the rename onto it fails after the temporary file was written.
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x');
    expect(() => writeFileSafely(target, 'payload', { overwrite: true })).toThrow();
    expect(temporaries(dir)).toEqual([]);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('x');
  });
});

describe('experiment CSV export', () => {
  const input = {
    fractions: [0.5],
    models: [{ name: 'qsa', kind: 'seldonian' as const }],
    trials: [{ model: 'qsa', fraction: 0.5, trialIndex: 0, passed: true, performance: 0.8, g: [-0.1] }],
  };

  it('refuses before writing anything when one file exists; overwrite replaces them', () => {
    const dir = tempDir();
    const results = join(dir, 'qsa_results');
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'qsa_results.csv'), 'old');
    expect(() => writeExperimentExport(dir, input)).toThrow(TargetExistsError);
    expect(existsSync(join(results, 'trial_data'))).toBe(false);
    expect(readFileSync(join(results, 'qsa_results.csv'), 'utf8')).toBe('old');
    const files = writeExperimentExport(dir, input, { overwrite: true });
    expect(files).toHaveLength(2);
    expect(readFileSync(join(results, 'qsa_results.csv'), 'utf8')).toMatch(/^data_frac,trial_i/);
    expect(temporaries(results)).toEqual([]);
  });
});

describe('the CLI and the routes', () => {
  it('fairbound report refuses an existing --out (or a planted symlink) without --force, exit 2', async () => {
    const { dir, target, pointee } = plantedLink();
    const db = join(dir, 'w.db');
    const refused = await cli('report', 'run:1', '--out', target, '--db', db);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${target} exists; use --force to overwrite`);
    expect(readFileSync(pointee, 'utf8')).toBe('do not touch');
    // With --force the command goes on (and here stops at the missing run), the pointee still untouched.
    const forced = await cli('report', 'run:1', '--out', target, '--db', db, '--force');
    expect(forced.stderr).not.toContain('use --force');
    expect(forced.stderr).toMatch(/no run with id 1/);
    expect(readFileSync(pointee, 'utf8')).toBe('do not touch');
  });

  it('fairbound audit --report refuses an existing file before the audit runs, exit 2', async () => {
    const dir = tempDir();
    const report = join(dir, 'audit.html');
    writeFileSync(report, 'old');
    const refused = await cli(
      'audit', '--predictions', join(dir, 'missing.csv'), '--by-order', '--dataset', 'none', '--constraint', 'ACC >= 0.5', '--report', report, '--db', join(dir, 'w.db'),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${report} exists; use --force to overwrite`);
    expect(readFileSync(report, 'utf8')).toBe('old');
  });

  it('audit.report answers conflict for an existing file unless overwrite', async () => {
    const dir = tempDir();
    const out = join(dir, 'audit.html');
    writeFileSync(out, 'old');
    await withServices({ dbPath: join(dir, 'w.db') }, async (services) => {
      const input = {
        datasetId: 1,
        source: { kind: 'predictions', path: join(dir, 'missing.csv'), matching: { kind: 'order' } },
        constraints: [{ source: 'ACC >= 0.5', delta: 0.05 }],
        mode: { kind: 'hard', threshold: 0.5 },
        out,
      };
      const reply = await services.invoke('audit.report', input);
      expect(reply.ok).toBe(false);
      if (!reply.ok) {
        expect(reply.error.code).toBe('conflict');
        expect(reply.error.message).toContain(out);
      }
      // With overwrite the request goes on to the audit (which fails here on the missing dataset, not on the file).
      const forced = await services.invoke('audit.report', { ...input, overwrite: true });
      expect(forced.ok).toBe(false);
      if (!forced.ok) expect(forced.error.code).not.toBe('conflict');
    });
    expect(readFileSync(out, 'utf8')).toBe('old');
  });
});
