import { DEFAULT_QSA_SETTINGS, type ExperimentSettings } from '../../src-main/experiments/types';

/** The smallest stored experiment's settings: one qsa-features model, two fractions × two trials. */
export const QSA_FEATURES_SETTINGS: ExperimentSettings = {
  fractions: [0.5, 1],
  nTrials: 2,
  models: [{ name: 'qsa-features', type: 'qsa-features', kind: 'seldonian', params: {} }],
  performance: 'accuracy',
  threshold: 0.5,
  qsa: DEFAULT_QSA_SETTINGS,
};
