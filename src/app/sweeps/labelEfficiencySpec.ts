import type { RunConfig } from '../../core';
import { type SweepSpec, parameterPaths, parseSweepSpec } from '../../sweep/spec';

/**
 * The one-click label-efficiency study: the current settings fine-tuned on 1%, 10% and 100% of the
 * labels, each beside a supervised-only model on the same labels (SimCLRv2's figure). The fractions
 * share every field pretraining reads, so with reuse the sweep pretrains once and branches three
 * times at fine-tuning; settings that start from a shipped encoder do not pretrain at all.
 */

export const STUDY_NAME = 'Label-efficiency study';
export const STUDY_LABEL_FRACTIONS = [0.01, 0.1, 1];

/** The study's spec on top of `config`. Throws ConfigError when the settings cannot fine-tune (never for a valid config). */
export function labelEfficiencyStudySpec(config: RunConfig): SweepSpec {
  const base = structuredClone(config);
  base.finetune.enabled = true;
  base.finetune.baseline = true;
  return parseSweepSpec({
    name: STUDY_NAME,
    base,
    parameters: { 'finetune.labelFraction': { values: STUDY_LABEL_FRACTIONS } },
    method: 'grid',
    objective: { metric: 'finetune.testAccuracy', goal: 'maximize' },
    concurrency: 1,
  });
}

/** Whether a sweep varies the label fraction, so its runs fill a label-efficiency chart of their own. */
export function sweepsLabelFraction(spec: Pick<SweepSpec, 'parameters'>): boolean {
  return Object.entries(spec.parameters).some(([key, parameter]) => parameterPaths(key, parameter).includes('finetune.labelFraction'));
}
