import { describe, expect, it } from 'vitest';
import { defaultRunConfig, type StageSummary } from '../../core';
import type { LabEvent } from '../../protocol/labWorkerApi';
import { applyLabEvents, emptyRunView, seriesOf } from './liveRun';

const summary = (stage: StageSummary['stage'], testAccuracy: number): StageSummary => ({
  stage,
  status: 'completed',
  steps: 4,
  epochs: 1,
  seconds: 1,
  imagesPerSecond: 10,
  backend: 'cpu',
  finalMetrics: {},
  testAccuracy,
});

describe('applyLabEvents', () => {
  it('folds a batch of events into one new view and tracks progress, metrics and the end', () => {
    const events: LabEvent[] = [
      { type: 'run-start', time: 1, backend: 'webgpu (x)', config: defaultRunConfig },
      { type: 'stage-start', time: 2, stage: 'pretrain', totalSteps: 8, stepsPerEpoch: 4, startStep: 0 },
      { type: 'controller', time: 2, state: 'running' },
      { type: 'metric', time: 3, stage: 'pretrain', step: 1, epoch: 0.25, loss: 4.1, contrastiveAccuracy: 0.1 },
      { type: 'metric', time: 4, stage: 'pretrain', step: 2, epoch: 0.5, loss: 3.9, learningRate: Number.NaN },
    ];
    const view = applyLabEvents(emptyRunView, events);
    expect(view).not.toBe(emptyRunView);
    expect(view.backend).toBe('webgpu (x)');
    expect(view.status).toBe('running');
    expect(view.progress).toEqual({ stage: 'pretrain', step: 2, totalSteps: 8 });
    expect(seriesOf(view.metrics, 'pretrain', 'loss').map((p) => p.value)).toEqual([4.1, 3.9]);
    // Non-finite values are dropped, not charted.
    expect(seriesOf(view.metrics, 'pretrain', 'learningRate')).toEqual([]);

    const paused = applyLabEvents(view, [{ type: 'controller', time: 5, state: 'paused' }]);
    expect(paused.status).toBe('paused');
    expect(paused.metrics).toBe(view.metrics);

    const ended = applyLabEvents(paused, [
      { type: 'stage-end', time: 6, stage: 'pretrain', summary: summary('pretrain', 0.4) },
      { type: 'run-end', time: 7, summary: { status: 'completed', backend: 'webgpu', seconds: 6, stages: {} } },
      { type: 'controller', time: 7, state: 'idle' },
    ]);
    expect(ended.status).toBe('completed');
    expect(ended.controller).toBe('idle');
    expect(ended.progress).toBeNull();
    expect(ended.stages.pretrain?.testAccuracy).toBe(0.4);
  });

  it('keeps the latest similarity and embedding snapshots and caps the log', () => {
    const logs: LabEvent[] = Array.from({ length: 150 }, (_, i) => ({ type: 'log', time: i, level: 'info', message: `line ${i}` }));
    const view = applyLabEvents(emptyRunView, [
      ...logs,
      { type: 'similarity', time: 1, stage: 'pretrain', step: 5, size: 2, values: [1, 0.5, 0.5, 1], contrastiveAccuracy: 1 },
      { type: 'similarity', time: 2, stage: 'pretrain', step: 10, size: 2, values: [1, 0.9, 0.9, 1], contrastiveAccuracy: 1 },
      { type: 'embedding', time: 3, stage: 'pretrain', step: 10, points: [[0, 1]], labels: [3] },
    ]);
    expect(view.logs).toHaveLength(100);
    expect(view.logs[0].message).toBe('line 50');
    expect(view.similarity?.step).toBe(10);
    expect(view.embedding?.labels).toEqual([3]);
    expect(applyLabEvents(view, [])).toBe(view);
  });
});
