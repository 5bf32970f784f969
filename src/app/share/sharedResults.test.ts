import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../browser/runs/runRecord';
import { parseSharedResults, thinMetrics } from './sharedResults';

describe('thinMetrics', () => {
  it('keeps at most ~perStage training points per stage but every evaluation point', () => {
    const metrics: MetricPoint[] = [];
    for (let step = 1; step <= 1000; step++) {
      metrics.push({ stage: 'pretrain', step, epoch: step / 100, loss: 1 / step, imagesPerSecond: 5, numTensors: 9 });
      if (step % 100 === 0) metrics.push({ stage: 'pretrain', step, epoch: step / 100, knnAccuracy: step / 1000 });
    }
    const thin = thinMetrics(metrics, 50);
    const training = thin.filter((m) => m.loss !== undefined);
    expect(training.length).toBeLessThanOrEqual(52);
    expect(training.at(-1)?.step).toBe(1000);
    expect(thin.filter((m) => m.knnAccuracy !== undefined)).toHaveLength(10);
    expect(thin[0]).toEqual({ stage: 'pretrain', step: 1, epoch: 0.01, loss: 1 });
    expect(thin.find((m) => m.step === 3)?.loss ?? 0.3333).toBe(0.3333);
  });
});

describe('parseSharedResults', () => {
  it('drops malformed points and summaries instead of trusting them', () => {
    const parsed = parseSharedResults({
      version: 1,
      status: 'completed',
      backend: 42,
      metrics: [
        { stage: 'pretrain', step: 1, epoch: 1, loss: 2, evil: 'x' },
        { stage: 'nope', step: 1, epoch: 1 },
        'junk',
        { stage: 'finetune', step: 'a', epoch: 1 },
      ],
      stages: { pretrain: { testAccuracy: 'high' }, finetune: { testAccuracy: 0.5, status: 'completed' } },
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.results.metrics).toEqual([{ stage: 'pretrain', step: 1, epoch: 1, loss: 2 }]);
    expect(parsed.results.backend).toBeNull();
    expect(Object.keys(parsed.results.stages)).toEqual(['finetune']);
  });

  it('says why unusable results are unusable', () => {
    expect(parseSharedResults(null)).toEqual({ ok: false, reason: 'results are not an object' });
    expect(parseSharedResults({ version: 2, metrics: [] })).toMatchObject({ ok: false, reason: expect.stringContaining('version 2') });
    expect(parseSharedResults({ version: 1 })).toMatchObject({ ok: false, reason: expect.stringContaining('metrics') });
  });
});
