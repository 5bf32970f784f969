import { describe, expect, it } from 'vitest';
import { defaultRunConfig, parseRunConfig } from '../../core';
import { stageSummary as summary } from '../../testing/stageSummary';
import { createRun, describeConfig, markInterrupted, newRunId, recordEvent, stageAccuracy, trimToCheckpoint } from './runRecord';

describe('run records', () => {
  it('records events and trims to the checkpoint before a resume', () => {
    const run = createRun('r', defaultRunConfig, 0);
    recordEvent(run, { type: 'stage-end', time: 1, stage: 'pretrain', summary: summary('pretrain') });
    for (let step = 1; step <= 6; step++) recordEvent(run, { type: 'metric', time: 2, stage: 'finetune', step, epoch: step / 3, loss: 1 });
    recordEvent(run, { type: 'checkpoint', time: 3, stage: 'finetune', step: 3, epoch: 1 });
    recordEvent(run, { type: 'controller', time: 4, state: 'paused' });
    expect(run.status).toBe('paused');
    expect(markInterrupted(run).status).toBe('interrupted');

    const trimmed = trimToCheckpoint(run);
    expect(trimmed.metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    expect(Object.keys(trimmed.stages)).toEqual(['pretrain']);
    expect(trimmed.status).toBe('running');
    // The original is untouched.
    expect(run.metrics).toHaveLength(6);

    recordEvent(run, { type: 'run-end', time: 5, summary: { status: 'failed', backend: 'cpu', seconds: 1, stages: {}, error: 'boom' } });
    expect(run.status).toBe('failed');
    expect(run.error).toBe('boom');
    expect(markInterrupted(run)).toBe(run);
  });

  it('finds stage accuracy in summaries, else in the last metric', () => {
    const run = createRun('r', defaultRunConfig, 0);
    expect(stageAccuracy(run, 'pretrain')).toBeNull();
    recordEvent(run, { type: 'metric', time: 1, stage: 'pretrain', step: 4, epoch: 1, knnAccuracy: 0.2 });
    recordEvent(run, { type: 'metric', time: 2, stage: 'pretrain', step: 8, epoch: 2, knnAccuracy: 0.3 });
    expect(stageAccuracy(run, 'pretrain')).toBe(0.3);
    recordEvent(run, { type: 'stage-end', time: 3, stage: 'pretrain', summary: summary('pretrain') });
    expect(stageAccuracy(run, 'pretrain')).toBe(0.5);
  });

  it('names runs readably and makes distinct ids', () => {
    expect(describeConfig(parseRunConfig({ finetune: { labelFraction: 0.01 } }))).toBe('cifar10 · R18×0.25 · pretrain → ft 1% → distill');
    expect(newRunId(1000, () => 0.5)).not.toBe(newRunId(1000, () => 0.25));
  });
});
