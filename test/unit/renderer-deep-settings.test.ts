// The Experiments form's deep-model settings (src-renderer/src/lib/deep-settings.ts): the CLI's
// `φ:BATCHxEPOCHS` list parses into the contract's entries, bad entries are named before anything is
// sent, and nothing deep is sent while no deep model is ticked.
import { describe, expect, it } from 'vitest';
import { experimentStartInput } from '../../src-shared/contract/schemas';
import { deepModelTypes, deepStartFields, defaultDeepSettings, parseEpochsPerFraction } from '../../src-renderer/src/lib/deep-settings';

describe('deep settings of the experiment form', () => {
  it('parses batch × epochs per fraction like the CLI', () => {
    expect(parseEpochsPerFraction(' 0.001:24x50, 0.5 : 100×4 ')).toEqual({
      ok: true,
      entries: [
        { fraction: 0.001, batchSize: 24, epochs: 50 },
        { fraction: 0.5, batchSize: 100, epochs: 4 },
      ],
    });
    expect(parseEpochsPerFraction('')).toEqual({ ok: true, entries: [] });
    for (const bad of ['0.5:100', '0:10x1', '1.5:10x1', '0.5:0x1', '0.5:10x0', 'half:10x1']) expect(parseEpochsPerFraction(bad)).toMatchObject({ ok: false });
    expect(parseEpochsPerFraction('0.5:10x1,0.5:20x2')).toEqual({ ok: false, message: 'fraction 0.5 is listed twice' });
  });

  it('sends only what differs from the defaults, and only with a deep model ticked', () => {
    const form = { ...defaultDeepSettings(), architecture: 'tutorial-g-cnn' as const, backend: 'wasm' as const, epochsPerFraction: '1:30x2' };
    expect(deepStartFields(form, false)).toEqual({ fields: {}, error: null });
    const { fields, error } = deepStartFields(form, true);
    expect(error).toBeNull();
    expect(fields).toEqual({ architecture: 'tutorial-g-cnn', backend: 'wasm', epochsPerFraction: [{ fraction: 1, batchSize: 30, epochs: 2 }] });
    // What it sends is a valid experiments.start input.
    const input = { datasetId: 1, constraints: [{ source: 'ACC >= 0.5', delta: 0.1 }], fractions: [1], nTrials: 1, models: ['qsa-head'], ...fields };
    expect(experimentStartInput.safeParse(input).success).toBe(true);
    expect(deepStartFields(defaultDeepSettings(), true)).toEqual({ fields: {}, error: null });
    expect(deepStartFields({ ...defaultDeepSettings(), epochsPerFraction: '1:30' }, true).error).toMatch(/Batch × epochs per fraction: '1:30'/);
  });

  it('knows the deep models by where they run', () => {
    const models = [
      { type: 'qsa-head', execution: 'process' },
      { type: 'logistic', execution: 'worker' },
      { type: 'cnn', execution: 'process' },
    ];
    expect([...deepModelTypes(models)]).toEqual(['qsa-head', 'cnn']);
  });
});
