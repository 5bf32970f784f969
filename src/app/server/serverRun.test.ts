import { describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../core';
import { recordEvent } from '../runStore/runRecord';
import { createServerRunRecord, isReattachable, labStatusOfServer, runsToReattach, storedIdOfServerRun } from './serverRun';
import { createRun } from '../runStore/runRecord';

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
