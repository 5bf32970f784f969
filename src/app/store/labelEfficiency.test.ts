import { describe, expect, it } from 'vitest';
import { defaultRunConfig, parseRunConfig, type StageSummary } from '../../core';
import { stageSummary } from '../../testing/stageSummary';
import { labelEfficiencyRows } from './labelEfficiency';

const stage = (name: StageSummary['stage'], testAccuracy: number | null): StageSummary => stageSummary(name, { testAccuracy });

describe('labelEfficiencyRows', () => {
  it('groups by label fraction, newest run wins, accuracies in percent, sorted by fraction', () => {
    const tenPercent = parseRunConfig({ finetune: { labelFraction: 0.1 } });
    const onePercent = parseRunConfig({ finetune: { labelFraction: 0.01 } });
    const rows = labelEfficiencyRows([
      { id: 'old', createdAt: 1, config: tenPercent, metrics: [], stages: { finetune: stage('finetune', 0.2) } },
      {
        id: 'new',
        createdAt: 2,
        config: tenPercent,
        metrics: [],
        stages: { finetune: stage('finetune', 0.61234), baseline: stage('baseline', 0.35), distill: stage('distill', 0.64) },
      },
      // No summaries yet, but a test-accuracy metric: still counted.
      { id: 'one', createdAt: 3, config: onePercent, metrics: [{ stage: 'finetune', step: 3, epoch: 1, testAccuracy: 0.3 }], stages: {} },
      // Fine-tuning disabled: not a label-efficiency point.
      {
        id: 'none',
        createdAt: 4,
        config: parseRunConfig({ finetune: { enabled: false }, distill: { enabled: false } }),
        metrics: [],
        stages: {},
      },
      // Nothing measured yet.
      { id: 'empty', createdAt: 5, config: defaultRunConfig, metrics: [], stages: {} },
    ]);
    expect(rows.map((r) => r.runId)).toEqual(['one', 'new']);
    expect(rows[0]).toMatchObject({ labelFraction: 0.01, label: '1% labels', fineTuned: 30, supervised: null, distilled: null });
    expect(rows[1]).toMatchObject({ labelFraction: 0.1, label: '10% labels', fineTuned: 61.2, supervised: 35, distilled: 64 });
  });
});
