import { describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../core';
import { labEventsOf, type ServerRunEvent } from '../../protocol/serverClient';
import type { LabEvent } from '../../protocol/labWorkerApi';
import { recordEvent } from '../../browser/runs/runRecord';
import { applyLabEvents, emptyRunView } from '../store/liveRun';
import { createServerRunRecord, isReattachable, labStatusOfServer, runsToReattach, storedIdOfServerRun } from './serverRun';
import { createRun } from '../../browser/runs/runRecord';

describe('server runs in the lab', () => {
  it('maps terminal server statuses to the lab words and leaves live ones unmapped', () => {
    expect(labStatusOfServer('succeeded')).toBe('completed');
    expect(labStatusOfServer('cancelled')).toBe('stopped');
    expect(labStatusOfServer('failed')).toBe('failed');
    expect(labStatusOfServer('interrupted')).toBe('interrupted');
    expect(labStatusOfServer('running')).toBeNull();
    expect(labStatusOfServer('queued')).toBeNull();
  });

  it('stores a server run like a local one, marked with its origin, and folds events into it', () => {
    const run = createServerRunRecord('r42', 'http://gpu:8787', defaultRunConfig, 1000);
    expect(run.id).toBe(storedIdOfServerRun('r42'));
    expect(run.id).not.toBe('r42');
    expect(run.origin).toBe('server');
    expect(run.server).toEqual({ url: 'http://gpu:8787', runId: 'r42' });
    expect(run.name).toMatch(/ · server$/);
    recordEvent(run, { type: 'metric', time: 1001, stage: 'pretrain', step: 1, epoch: 0, loss: 4.2 } as Parameters<typeof recordEvent>[1]);
    expect(run.metrics).toEqual([{ stage: 'pretrain', step: 1, epoch: 0, loss: 4.2 }]);
  });

  it("folds a resumed run's stream to each step once, the resumed attempt's values winning", () => {
    const metric = (step: number, attempt: number): ServerRunEvent => ({
      type: 'metric',
      time: step,
      stage: 'pretrain',
      step,
      epoch: step / 4,
      loss: 10 * attempt + step,
      attempt,
    });
    const stream: ServerRunEvent[] = [
      { type: 'status', time: 0, status: 'running', attempt: 1 },
      { type: 'stage-start', time: 0, stage: 'pretrain', totalSteps: 6, stepsPerEpoch: 4, startStep: 0, attempt: 1 },
      metric(1, 1),
      metric(2, 1),
      { type: 'checkpoint', time: 2, stage: 'pretrain', step: 2, epoch: 0.5, attempt: 1 },
      metric(3, 1),
      metric(4, 1),
      // Crash after step 4; the run resumes from its checkpoint at step 2.
      { type: 'status', time: 5, status: 'queued', reason: 'the server stopped while it was running', attempt: 1 },
      { type: 'status', time: 6, status: 'running', attempt: 2 },
      { type: 'resumed', time: 6, stage: 'pretrain', step: 2, epoch: 0.5, attempt: 2 },
      { type: 'stage-start', time: 6, stage: 'pretrain', totalSteps: 6, stepsPerEpoch: 4, startStep: 2, attempt: 2 },
      metric(3, 2),
      metric(4, 2),
      metric(5, 2),
      metric(6, 2),
    ];
    const labEvents: LabEvent[] = stream.flatMap(labEventsOf);
    const expected = [1, 2, 3, 4, 5, 6].map((step) => (step <= 2 ? 10 + step : 20 + step));

    const record = createServerRunRecord('r1', 'http://gpu:8787', defaultRunConfig);
    for (const event of labEvents) recordEvent(record, event);
    expect(record.metrics.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(record.metrics.map((p) => p.loss)).toEqual(expected);

    // The live view, whether the events arrive in one batch or one by one.
    const whole = applyLabEvents(emptyRunView, labEvents);
    const oneByOne = labEvents.reduce((view, event) => applyLabEvents(view, [event]), emptyRunView);
    for (const view of [whole, oneByOne]) {
      expect(view.metrics.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(view.metrics.map((p) => p.loss)).toEqual(expected);
    }
  });

  it('after a reload reattaches the newest streaming server run and only server runs', () => {
    const older = { ...createServerRunRecord('a', 'http://gpu:8787', defaultRunConfig, 1000), updatedAt: 1500 };
    const newer = { ...createServerRunRecord('b', 'http://gpu:8787', defaultRunConfig, 2000), updatedAt: 2500 };
    const done = { ...createServerRunRecord('c', 'http://gpu:8787', defaultRunConfig, 3000), status: 'completed' as const };
    const local = createRun('run-local', defaultRunConfig, 4000);
    expect(isReattachable(newer)).toBe(true);
    expect(isReattachable(done)).toBe(false);
    expect(isReattachable(local)).toBe(false);
    const { reattach, others } = runsToReattach([older, done, local, newer]);
    expect(reattach?.id).toBe(newer.id);
    expect(others.map((r) => r.id)).toEqual([older.id]);
    expect(runsToReattach([done, local])).toEqual({ reattach: null, others: [] });
  });
});
