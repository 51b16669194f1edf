/**
 * The deep models' settings as the Experiments form edits them (components/DeepModelSettings.vue): the
 * CNN, the worker's backend and body-training batch × epochs per data fraction, written like the CLI's
 * `--epochs-per-fraction 0.001:24x50,0.01:100x4`. Pure, so it is unit-tested; the result is the
 * optional deep fields of `experiments.start` (main validates them again).
 */
import type { ExperimentStartInput } from '../../../src-shared/contract';

export type DeepArchitectureChoice = 'auto' | NonNullable<ExperimentStartInput['architecture']>;
export type DeepBackendChoice = NonNullable<ExperimentStartInput['backend']>;

export interface DeepSettingsForm {
  architecture: DeepArchitectureChoice;
  backend: DeepBackendChoice;
  /** `φ:BATCHxEPOCHS, …`; empty: Tutorial J's rule for every fraction. */
  epochsPerFraction: string;
}

export type DeepStartFields = Pick<ExperimentStartInput, 'architecture' | 'backend' | 'epochsPerFraction'>;

export function defaultDeepSettings(): DeepSettingsForm {
  return { architecture: 'auto', backend: 'auto', epochsPerFraction: '' };
}

/** The model types that run in the deep-learning worker (the `experiments.models` route says `process`). */
export function deepModelTypes(models: readonly { type: string; execution: string }[]): Set<string> {
  return new Set(models.filter((m) => m.execution === 'process').map((m) => m.type));
}

export type EpochsParse = { readonly ok: true; readonly entries: NonNullable<DeepStartFields['epochsPerFraction']> } | { readonly ok: false; readonly message: string };

/** `0.1:100x4, 1:50x2` → entries; a message naming the bad entry otherwise. */
export function parseEpochsPerFraction(text: string): EpochsParse {
  const entries: { fraction: number; batchSize: number; epochs: number }[] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const m = /^([0-9.eE+-]+)\s*:\s*(\d+)\s*[x×]\s*(\d+)$/.exec(entry);
    const fraction = m ? Number(m[1]) : Number.NaN;
    const batchSize = m ? Number(m[2]) : 0;
    const epochs = m ? Number(m[3]) : 0;
    if (!m || !(fraction > 0 && fraction <= 1) || batchSize < 1 || epochs < 1) {
      return { ok: false, message: `'${entry}': write φ:BATCHxEPOCHS with φ in (0, 1] and positive integers, e.g. 0.1:100x4` };
    }
    if (entries.some((e) => e.fraction === fraction)) return { ok: false, message: `fraction ${fraction} is listed twice` };
    entries.push({ fraction, batchSize, epochs });
  }
  return { ok: true, entries };
}

/**
 * The request fields for the chosen models: none when no deep model is ticked (the form's deep settings
 * then do not matter), else what differs from the defaults; or the problem to show.
 */
export function deepStartFields(form: DeepSettingsForm, deepSelected: boolean): { readonly fields: DeepStartFields; readonly error: string | null } {
  if (!deepSelected) return { fields: {}, error: null };
  const parsed = parseEpochsPerFraction(form.epochsPerFraction);
  if (!parsed.ok) return { fields: {}, error: `Batch × epochs per fraction: ${parsed.message}` };
  return {
    fields: {
      ...(form.architecture !== 'auto' ? { architecture: form.architecture } : {}),
      ...(form.backend !== 'auto' ? { backend: form.backend } : {}),
      ...(parsed.entries.length > 0 ? { epochsPerFraction: parsed.entries } : {}),
    },
    error: null,
  };
}
