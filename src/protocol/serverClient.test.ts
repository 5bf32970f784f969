import { describe, expect, it } from 'vitest';
import { labEventsOf } from './serverClient';

describe('labEventsOf', () => {
  it('passes engine events through and turns server statuses into status lines and controller states', () => {
    const metric = { type: 'metric' as const, time: 1, stage: 'pretrain' as const, step: 3, epoch: 0.5, loss: 2.5 };
    expect(labEventsOf(metric)).toEqual([metric]);
    expect(labEventsOf({ type: 'status', time: 2, status: 'queued', reason: 'the server stopped while it was running' })).toEqual([
      { type: 'status', time: 2, message: 'Server: queued — the server stopped while it was running' },
    ]);
    expect(labEventsOf({ type: 'status', time: 3, status: 'running', worker: 'gpu-a' })).toEqual([
      { type: 'status', time: 3, message: 'Server: running on gpu-a' },
      { type: 'controller', time: 3, state: 'running' },
    ]);
    expect(labEventsOf({ type: 'status', time: 4, status: 'failed', error: 'out of memory' })[1]).toEqual({
      type: 'controller',
      time: 4,
      state: 'idle',
    });
    const resumed = { type: 'resumed' as const, time: 5, stage: 'pretrain' as const, step: 12, epoch: 3, attempt: 2 };
    expect(labEventsOf(resumed)).toEqual([
      resumed,
      { type: 'status', time: 5, message: 'Server: resumed from its checkpoint (pretrain step 12)' },
    ]);
  });
});
