/**
 * The sample workspace (README, First run): 2,000 Fashion-MNIST images shipped in resources/sample/
 * (scripts/build-sample.mjs), imported into a new workspace with dark/light brightness groups and the
 * upper-body label, plus one saved accuracy-ratio constraint. `fairbound sample`, `fairbound serve
 * --sample` and the desktop app's "Open the sample workspace" all create it here.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { compileForDataset } from '../engine/compile-for-dataset';
import { ConstraintCompileError } from '../errors/constraint-compile-error';
import { InputError } from '../errors/input-error';
import { importDataset } from '../data/importers';
import { saveConstraint } from '../store/constraints';
import { defaultDatabasePath, openWorkspace, type OpenOptions } from '../store/database';

const MANIFEST = 'sample.json';

const sampleManifest = z.strictObject({
  datasetName: z.string().min(1),
  images: z.string().min(1),
  labels: z.string().min(1),
  positiveClasses: z.array(z.number().int().min(0)).min(1),
  constraint: z.strictObject({ name: z.string().min(1), source: z.string().min(1), delta: z.number().gt(0).lt(1) }),
});
export type SampleManifest = z.infer<typeof sampleManifest>;

/**
 * resources/sample of this checkout or package: walks up from this module (source: src-main/services,
 * CLI bundle: out/cli, Electron bundle: out/main inside the app). The packaged app passes its own.
 */
export function findSampleDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'resources', 'sample');
    if (existsSync(join(candidate, MANIFEST))) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

export function readSampleManifest(sampleDir: string): SampleManifest {
  const file = join(sampleDir, MANIFEST);
  const parsed = sampleManifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new InputError(`not a sample manifest: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { file });
  return parsed.data;
}

export interface SampleWorkspace {
  readonly dbPath: string;
  readonly datasetId: number;
  readonly datasetName: string;
  readonly constraintId: number;
}

/**
 * Creates the sample workspace at `dbPath`, which must not exist yet (an InputError naming it otherwise).
 * All or nothing: a failure removes the new file again.
 */
export async function createSampleWorkspace(dbPath: string, sampleDir: string | undefined = findSampleDir(), openOptions: OpenOptions = {}): Promise<SampleWorkspace> {
  if (sampleDir === undefined) throw new Error('the sample workspace is missing from this installation (resources/sample)');
  if (existsSync(dbPath)) throw new InputError('already exists: the sample workspace is created in a new file', { file: dbPath });
  const manifest = readSampleManifest(sampleDir);
  const db = openWorkspace(dbPath, openOptions);
  try {
    const imported = await importDataset(
      db,
      {
        format: 'idx',
        name: manifest.datasetName,
        pairs: [{ images: join(sampleDir, manifest.images), labels: join(sampleDir, manifest.labels) }],
        attributes: { kind: 'brightness' },
        labels: { positiveClasses: manifest.positiveClasses.map(String) },
      },
      {},
    );
    const columns = imported.dataset.sensitiveColumns;
    compileForDataset([manifest.constraint], { sensitiveColumns: columns, subRegime: 'classification' }, (_i, error) => new ConstraintCompileError('constraint', error));
    const saved = saveConstraint(db, { ...manifest.constraint, columns, subRegime: 'classification' });
    db.close();
    return { dbPath, datasetId: imported.dataset.id, datasetName: imported.dataset.name, constraintId: saved.id };
  } catch (error) {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
    throw error;
  }
}

/** Where the sample workspace lives unless told otherwise: `sample.db` beside the default workspace. */
export function defaultSamplePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(dirname(defaultDatabasePath(env)), 'sample.db');
}

/** The sample workspace at `dbPath`: created there on first use, opened as it is afterwards. */
export async function ensureSampleWorkspace(dbPath: string, sampleDir?: string, openOptions: OpenOptions = {}): Promise<{ readonly dbPath: string; readonly created: boolean }> {
  if (existsSync(dbPath)) return { dbPath, created: false };
  await createSampleWorkspace(dbPath, sampleDir ?? findSampleDir(), openOptions);
  return { dbPath, created: true };
}
