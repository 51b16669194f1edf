/** The run and experiment pages' next steps: exports of a finished run, and reports written from the app. */
import { z } from 'zod';
import { id } from '../wire';
import { path } from './fields';

/** What a run export writes: the model in the TF.js layers format, or the head QSA as a Seldonian case. */
export const runExportArtifact = z.enum(['tfjs-model', 'latents-case']);
export type RunExportArtifact = z.infer<typeof runExportArtifact>;

export const runExportInput = z.object({
  runId: id,
  artifact: runExportArtifact,
  /** tfjs-model: which of the run's models (default seldonian). */
  which: z.enum(['seldonian', 'candidate', 'trained', 'initial']).optional(),
  /** The folder to write into (created if missing); existing files are replaced only with overwrite. */
  outDir: path,
  overwrite: z.boolean().optional(),
});
export type RunExportInput = z.infer<typeof runExportInput>;
export const filesWritten = z.object({ files: z.array(path) });

export const reportTarget = z.object({ kind: z.enum(['run', 'experiment']), id });
export const reportWriteInput = z.object({ target: reportTarget, out: path, pdf: path.optional(), overwrite: z.boolean().optional() });
export const reportWriteOutput = z.object({ html: path, pdf: path.nullable() });
