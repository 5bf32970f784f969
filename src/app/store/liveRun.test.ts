import { describe, expect, it } from 'vitest';
import { defaultRunConfig, type StageSummary } from '../../core';
import { stageSummary } from '../../testing/stageSummary';
import type { LabEvent } from '../../protocol/labWorkerApi';
import { createRun, markInterrupted, recordEvent } from '../../browser/runs/runRecord';
import { type RunView, applyLabEvents, emptyRunView, runViewOfStored, seriesOf } from './liveRun';

const summary = (stage: StageSummary['stage'], testAccuracy: number): StageSummary => stageSummary(stage, { testAccuracy });

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

/**
 * The stored record (recordEvent, what the worker and the server-run follower save) and the live
 * view (applyLabEvents) fold the same stream through one reducer: whatever the sequence, they must
 * show the same status at every point, and the same curves, stages and checkpoint at the end.
 */
describe('stored and live folds agree', () => {
  const runEnd = (status: 'completed' | 'stopped' | 'failed', error?: string): LabEvent => ({
    type: 'run-end',
    time: 90,
    summary: { status, backend: 'cpu', seconds: 1, stages: {}, ...(error ? { error } : {}) },
  });
  const start: LabEvent[] = [
    { type: 'controller', time: 1, state: 'running' },
    { type: 'run-start', time: 2, backend: 'cpu', config: defaultRunConfig },
    { type: 'stage-start', time: 3, stage: 'pretrain', totalSteps: 8, stepsPerEpoch: 4, startStep: 0 },
    { type: 'metric', time: 4, stage: 'pretrain', step: 1, epoch: 0.25, loss: 4 },
  ];
  const epoch: LabEvent[] = [
    { type: 'metric', time: 10, stage: 'pretrain', step: 4, epoch: 1, loss: 3, knnAccuracy: 0.3 },
    { type: 'checkpoint', time: 11, stage: 'pretrain', step: 4, epoch: 1 },
  ];
  const cases: { name: string; events: LabEvent[]; status: string }[] = [
    {
      name: 'completes',
      events: [
        ...start,
        ...epoch,
        { type: 'stage-end', time: 20, stage: 'pretrain', summary: summary('pretrain', 0.4) },
        runEnd('completed'),
        { type: 'controller', time: 91, state: 'idle' },
      ],
      status: 'completed',
    },
    {
      name: 'pauses, steps and resumes',
      events: [
        ...start,
        { type: 'controller', time: 5, state: 'paused', pausing: true },
        { type: 'controller', time: 6, state: 'paused' },
        { type: 'metric', time: 7, stage: 'pretrain', step: 2, epoch: 0.5, loss: 3.5 },
        { type: 'controller', time: 8, state: 'running' },
        ...epoch,
        { type: 'controller', time: 12, state: 'paused' },
      ],
      status: 'paused',
    },
    {
      name: 'stops with a final checkpoint',
      events: [
        ...start,
        { type: 'controller', time: 5, state: 'stopping' },
        ...epoch,
        { type: 'stage-end', time: 20, stage: 'pretrain', summary: { ...summary('pretrain', 0.2), status: 'stopped' } },
        runEnd('stopped'),
        { type: 'controller', time: 91, state: 'idle' },
      ],
      status: 'stopped',
    },
    {
      name: 'fails, and a late controller event does not revive it',
      events: [
        ...start,
        { type: 'log', time: 5, level: 'error', message: 'out of memory' },
        runEnd('failed', 'out of memory'),
        { type: 'controller', time: 91, state: 'running' },
      ],
      status: 'failed',
    },
    {
      name: 'fails before the engine starts (worker: no run-start)',
      events: [{ type: 'log', time: 1, level: 'error', message: 'no dataset' }, runEnd('failed', 'no dataset')],
      status: 'failed',
    },
    {
      name: 'is interrupted (stream lost, reload) while paused, then continued in a new attempt',
      events: [
        ...start,
        ...epoch,
        { type: 'controller', time: 12, state: 'paused' },
        { type: 'settled', time: 13, status: 'interrupted' },
        { type: 'controller', time: 14, state: 'running' },
        { type: 'resumed', time: 15, stage: 'pretrain', step: 4, epoch: 1 },
        { type: 'run-start', time: 16, backend: 'cpu', config: defaultRunConfig },
        { type: 'metric', time: 17, stage: 'pretrain', step: 5, epoch: 1.25, loss: 2.5 },
      ],
      status: 'running',
    },
    {
      name: 'is cancelled on the server while queued (settled without run-end)',
      events: [
        { type: 'status', time: 1, message: 'Server: queued' },
        { type: 'settled', time: 2, status: 'stopped' },
      ],
      status: 'stopped',
    },
    {
      name: 'keeps the outcome of run-end when the host settles it afterwards',
      events: [...start, ...epoch, runEnd('completed'), { type: 'settled', time: 95, status: 'interrupted' }],
      status: 'completed',
    },
    {
      name: 'fails on the server outside the engine',
      events: [...start, { type: 'settled', time: 30, status: 'failed', error: 'runner died' }],
      status: 'failed',
    },
  ];

  for (const { name, events, status } of cases) {
    it(`agrees when a run ${name}`, () => {
      const stored = createRun('r', defaultRunConfig, 0);
      let live: RunView = { ...emptyRunView, runId: 'r', config: defaultRunConfig, status: 'starting' };
      for (const event of events) {
        recordEvent(stored, event);
        live = applyLabEvents(live, [event]);
        // Before its first event the live view says 'starting' where the new record says 'running'.
        if (live.status !== 'starting') expect(live.status, `after ${event.type} at ${event.time}`).toBe(stored.status);
      }
      expect(stored.status).toBe(status);
      const batched = applyLabEvents({ ...emptyRunView, status: 'starting' }, events);
      for (const view of [live, batched]) {
        expect(view.status).toBe(status);
        expect(view.metrics).toEqual(stored.metrics);
        expect(view.stages).toEqual(stored.stages);
        expect(view.checkpoint).toEqual(stored.checkpoint);
        expect(view.summary).toEqual(stored.summary);
      }
      // What a reload shows: the stored record, interrupted if it was live, seen through the live view.
      expect(runViewOfStored(markInterrupted(stored)).status).toBe(
        applyLabEvents(live, [{ type: 'settled', time: 99, status: 'interrupted' }]).status,
      );
    });
  }
});
