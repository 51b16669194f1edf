/** Training runs (src-main/runs, src-main/store/runs). */
import { z } from 'zod';
import { ARCHITECTURE_NAMES } from '../../domain/architectures';
import { BACKEND_PREFERENCE_NAMES } from '../../domain/backends';
import { BOUND_METHODS } from '../../domain/qsa';
import { RUN_PHASES, RUN_PIPELINES, RUN_STATUSES } from '../../domain/runs';
import { count, id, text, wireNumber, wireNumberOrNull } from '../wire';
import { delta } from './constraints';
import { seed } from './fields';
import { jobId } from './jobs';

export const runStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatus>;
export const runPipeline = z.enum(RUN_PIPELINES);
export const runPhase = z.enum(RUN_PHASES);
export const architecture = z.enum(ARCHITECTURE_NAMES);
export const backendPreference = z.enum(BACKEND_PREFERENCE_NAMES);
export type BackendPreference = z.infer<typeof backendPreference>;

export const runRequest = z.object({
  /** What the user calls the run, and notes on it (stored with it, shown with it). */
  name: text(200).optional(),
  notes: text(4000).optional(),
  /** Dataset id. */
  dataset: id,
  constraints: z.array(z.object({ source: text(4000), delta })).min(1).max(32),
  pipeline: runPipeline,
  architecture,
  epochs: z.number().int().min(1).max(10_000).optional(),
  batchSize: z.number().int().min(1).max(1_000_000).optional(),
  learningRate: z.number().positive().max(10).optional(),
  iterations: z.number().int().min(1).max(1_000_000).optional(),
  fracSafety: z.number().gt(0).lt(1).optional(),
  seed: seed.optional(),
  backend: backendPreference.optional(),
  rows: z.number().int().min(2).optional(),
  resize: z.number().int().min(4).max(1024).optional(),
  /** The QSA's bound (candidate selection predicts the safety test with it); default student-t, the engine's. */
  bound: z.enum(BOUND_METHODS).optional(),
});
export type RunRequestDto = z.infer<typeof runRequest>;

export const backendAttempt = z.object({ candidate: z.string(), ok: z.boolean(), reason: z.string() });
const gpuAdapter = z.object({
  description: z.string(),
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  software: z.boolean(),
  limits: z.object({
    maxBufferSize: count,
    maxStorageBufferBindingSize: count,
    maxComputeWorkgroupStorageSize: count,
    maxComputeInvocationsPerWorkgroup: count,
    maxComputeWorkgroupSizeX: count,
  }),
});
export const backendReport = z.object({
  name: z.string(),
  package: z.string(),
  version: z.string(),
  device: z.enum(['gpu', 'cpu']).optional(),
  simd: z.boolean().optional(),
  threads: count.optional(),
  /** The WebGPU adapter (webgpu only). */
  adapter: gpuAdapter.optional(),
  /** A head run's CNN on ONNX Runtime where TF.js would compute on the CPU (domain/backends.ts). */
  cpuEngine: z.string().optional(),
  preference: backendPreference,
  attempts: z.array(backendAttempt),
});
export type BackendReportDto = z.infer<typeof backendReport>;

export const runConstraintSpec = z.object({ source: z.string(), parsed: z.string(), delta });

const timings = z.record(z.string(), wireNumber);

export const runSummary = z.object({
  id,
  name: z.string().nullable(),
  notes: z.string().nullable(),
  datasetId: id.nullable(),
  datasetName: z.string(),
  pipeline: runPipeline,
  architecture: z.string(),
  constraints: z.array(runConstraintSpec),
  seed: z.number().int(),
  backendPreference,
  backend: z.string().nullable(),
  status: runStatus,
  phase: runPhase.nullable(),
  error: z.string().nullable(),
  nRows: count,
  nCandidate: count,
  nSafety: count,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type RunSummaryDto = z.infer<typeof runSummary>;

export const runNodeBound = z.object({
  name: z.string(),
  lower: wireNumber,
  upper: wireNumber,
  lowerNeeded: z.boolean(),
  upperNeeded: z.boolean(),
  deltaLower: wireNumberOrNull,
  deltaUpper: wireNumberOrNull,
  nSamples: count,
  mean: wireNumber,
  std: wireNumber,
});
export type RunNodeBoundDto = z.infer<typeof runNodeBound>;

export const runConstraintResult = runConstraintSpec.extend({
  position: count,
  upperBound: wireNumberOrNull,
  pointEstimate: wireNumberOrNull,
  passed: z.boolean().nullable(),
  nodes: z.array(runNodeBound),
});
export type RunConstraintResultDto = z.infer<typeof runConstraintResult>;

export const groupAccuracy = z.object({ group: z.string(), n: count, accuracy: wireNumber });
export type GroupAccuracyDto = z.infer<typeof groupAccuracy>;

export const runDetail = z.object({
  run: runSummary,
  /** The stored settings, as resolved (RunSettings), and the seeds of every random stream. */
  settings: z.record(z.string(), z.unknown()),
  /** The QSA's bound the run used (its settings' qsa.bound; student-t for runs stored before the choice). */
  bound: z.enum(BOUND_METHODS),
  seeds: z.record(z.string(), z.number()),
  backend: backendReport.nullable(),
  timings,
  verdict: z.enum(['passed', 'nsf']).nullable(),
  outcome: z.object({ kind: z.string(), reason: z.string().nullable(), message: z.string().nullable() }).nullable(),
  candidateSelection: z
    .object({ iterationsPlanned: count, iterationsRun: count, chosenIndex: count.nullable(), foundFeasible: z.boolean(), returnedNsf: z.boolean() })
    .nullable(),
  constraints: z.array(runConstraintResult),
  groupAccuracy: z.object({ of: z.enum(['solution', 'candidate']), threshold: wireNumber, groups: z.array(groupAccuracy) }).nullable(),
  trainedCnnGroupAccuracy: z.array(groupAccuracy).nullable(),
  bodyTraining: z.array(z.object({ epoch: count, meanLoss: wireNumber, accuracy: wireNumber, seconds: wireNumber })).nullable(),
  /** A finished pretrained run: where its model was cut and what computed the latents; absent otherwise. */
  pretrainedBody: z.object({ cutAt: z.string(), replacedHead: z.object({ inputDim: count, units: count }), computedBy: z.string(), kernel: z.object({ name: z.string(), threads: count }) }).optional(),
});
export type RunDetail = z.infer<typeof runDetail>;

export const runRef = z.object({ runId: id });

export const runIterations = z.object({
  runId: id,
  iterations: z.array(z.object({ iteration: count, f: wireNumber, g: z.array(wireNumber), lambda: z.array(wireNumber), lagrangian: wireNumber })),
});
export type RunIterations = z.infer<typeof runIterations>;

export const runStarted = z.object({ jobId, runId: id });

/** One event of a running training run (src-main/runs RunEvent), as it crosses the boundary. */
export const runEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), runId: id, status: runStatus }),
  z.object({ type: z.literal('phase'), runId: id, phase: runPhase, backend: z.string().optional() }),
  z.object({
    type: z.literal('batch'),
    runId: id,
    epoch: count,
    epochs: count,
    batch: count,
    batchesPerEpoch: count,
    loss: wireNumber,
    accuracy: wireNumber,
    imagesPerSecond: wireNumber,
    fraction: wireNumber,
    etaSeconds: wireNumber,
  }),
  z.object({ type: z.literal('latents'), runId: id, done: count, total: count }),
  z.object({
    type: z.literal('iteration'),
    runId: id,
    iteration: count,
    total: count,
    f: wireNumber,
    g: z.array(wireNumber),
    lambda: z.array(wireNumber),
    etaSeconds: wireNumber,
  }),
  z.object({ type: z.literal('finished'), runId: id, status: runStatus, error: z.string().nullable() }),
]);
export type RunEventDto = z.infer<typeof runEvent>;

export const backendsReport = z.object({
  preferences: z.array(z.object({ preference: backendPreference, candidates: z.array(z.string()) })),
  /** The backend the latest started run loaded, with every candidate tried and why it failed; null before the first run. */
  latest: z.object({ runId: id, report: backendReport }).nullable(),
});
export type BackendsReport = z.infer<typeof backendsReport>;
