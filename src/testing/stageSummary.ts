import type { StageName, StageSummary } from '../core';

/**
 * A completed stage's summary, for tests that feed one to a run record, a view or a checkpoint:
 * plausible numbers for a tiny run, with whatever the test looks at passed in `overrides`.
 */
export function stageSummary(stage: StageName, overrides: Partial<Omit<StageSummary, 'stage'>> = {}): StageSummary {
  return {
    stage,
    status: 'completed',
    steps: 4,
    epochs: 1,
    seconds: 1,
    imagesPerSecond: 1,
    backend: 'cpu',
    finalMetrics: {},
    testAccuracy: 0.5,
    ...overrides,
  };
}
