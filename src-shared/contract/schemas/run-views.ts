/** The run and experiment pages' next steps: exports of a finished run, and reports written from the app. */
import { z } from 'zod';
import { count, id, wireNumber, wireNumberOrNull } from '../wire';
import { auditInput } from './audit';
import { path } from './fields';

/** What a run export writes: the model in the TF.js layers format or as one ONNX file, or the head QSA as a Seldonian case. */
export const runExportArtifact = z.enum(['tfjs-model', 'onnx-model', 'latents-case']);
export type RunExportArtifact = z.infer<typeof runExportArtifact>;

export const runExportInput = z.object({
  runId: id,
  artifact: runExportArtifact,
  /** tfjs-model, onnx-model: which of the run's models (default seldonian). */
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

/** What the runs list shows of each run beyond its summary: accuracy, safety-test bounds, duration. */
export const runOverview = z.object({
  runId: id,
  /** Accuracy on all safety rows (hard decisions at `threshold`), of the solution or, after NSF, the candidate. */
  accuracy: z.object({ value: wireNumber, threshold: wireNumber, of: z.enum(['solution', 'candidate']) }).nullable(),
  /** Per constraint, in order: the safety test's upper bound of g (null: no safety test). */
  upperBounds: z.array(wireNumberOrNull),
  /** The run's total time in seconds (null while it has none). */
  seconds: wireNumberOrNull,
});
export type RunOverview = z.infer<typeof runOverview>;

/** A No Solution Found run's advice per constraint (src-main/audit/run-advice.ts). */
export const runAdvice = z.object({
  runId: id,
  constraints: z.array(
    z.object({
      position: count,
      smallestGroup: z.object({ node: z.string(), n: count }).nullable(),
      rowsNeeded: z.object({ factor: wireNumber, rows: count }).nullable(),
      estimateViolates: z.boolean(),
    }),
  ),
});
export type RunAdviceDto = z.infer<typeof runAdvice>;

/** The experiment plots written as files: one per constraint, SVG (vector) or PNG (through Chromium). */
export const experimentPlotsInput = z.object({ experimentId: id, folder: path, format: z.enum(['svg', 'png']), overwrite: z.boolean().optional() });

/** audit.examples: audit.run's input, and how many images per group and kind, at which thumbnail size. */
export const auditExamplesInput = auditInput.extend({
  perGroup: z.number().int().min(1).max(24).optional(),
  size: z.number().int().min(16).max(128).optional(),
});
const auditExample = z.object({
  /** The row's index in the dataset's stored order. */
  index: count,
  /** The image's path (image-folder datasets), else null. */
  key: z.string().nullable(),
  label: count,
  prediction: count,
  /** P(y = 1) for one output, else the predicted class's probability. */
  p: wireNumber,
  thumbnail: z.string().nullable(),
});
export const auditExamples = z.object({
  /** The decision threshold used (the audit's, or 0.5 for soft estimators). */
  threshold: wireNumber,
  groups: z.array(z.object({ group: z.string(), n: count, nMisclassified: count, misclassified: z.array(auditExample), borderline: z.array(auditExample) })),
});
export type AuditExamples = z.infer<typeof auditExamples>;

export const reportHtmlInput = z.object({ target: reportTarget });
/** The report's self-contained HTML (inline CSS and SVG, no scripts), for showing in the app. */
export const reportHtmlOutput = z.object({ html: z.string() });
