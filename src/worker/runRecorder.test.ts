import { describe, expect, it } from 'vitest';
import { type Checkpoint, defaultRunConfig, deserializeCheckpoint } from '../core';
import { createRun } from '../browser/runs/runRecord';
import { memoryRunStore, readCheckpoint } from '../browser/runs/runsDb';
import type { LabEvent } from '../protocol/labWorkerApi';
import { RunRecorder } from './runRecorder';

const checkpoint: Checkpoint = {
  version: 1,
  stage: 'pretrain',
  step: 4,
  completed: {},
  models: { pretrain: { 'conv/kernel': { shape: [2], data: new Float32Array([1, 2]) } } },
  optimizer: {},
};

describe('RunRecorder', () => {
  it('stores checkpoints in the store, announces them after, and throttles saves', async () => {
    const store = memoryRunStore();
    const published: LabEvent[] = [];
    let clock = 1000;
    const recorder = new RunRecorder(
      createRun('r1', defaultRunConfig, 0),
      store,
      (e) => published.push(e),
      2000,
      () => clock,
    );
    await recorder.onEvent({ type: 'run-start', time: 1, backend: 'cpu', config: defaultRunConfig });
    expect((await store.getRun('r1'))?.backend).toBe('cpu');

    for (let step = 1; step <= 3; step++) {
      clock += 10;
      await recorder.onEvent({ type: 'metric', time: clock, stage: 'pretrain', step, epoch: step / 4, loss: 5 - step });
    }
    // Throttled: the saved record lags behind until the next save point.
    expect((await store.getRun('r1'))?.metrics).toHaveLength(0);

    const at4 = { type: 'checkpoint', time: clock, stage: 'pretrain', step: 4, epoch: 1 } as const;
    await recorder.onCheckpoint(checkpoint, at4);
    const saved = await store.getRun('r1');
    expect(saved?.metrics.map((m) => m.loss)).toEqual([4, 3, 2]);
    expect(saved?.checkpoint).toEqual({ stage: 'pretrain', step: 4, epoch: 1 });
    expect((await readCheckpoint(store, 'r1'))?.models.pretrain['conv/kernel'].data).toEqual(new Float32Array([1, 2]));
    // Stored before it is announced: the page hears of it only when the engine emits the event.
    expect(published.some((e) => e.type === 'checkpoint')).toBe(false);
    await recorder.onEvent(at4);
    expect(published.filter((e) => e.type === 'checkpoint')).toEqual([at4]);
    expect(recorder.run.checkpoint).toEqual({ stage: 'pretrain', step: 4, epoch: 1 });

    clock += 5000;
    await recorder.onEvent({ type: 'metric', time: clock, stage: 'pretrain', step: 5, epoch: 1.25, loss: 1 });
    expect((await store.getRun('r1'))?.metrics).toHaveLength(4);
  });

  it('writes each checkpoint together with a record whose curves reach it, so a reload cannot leave a gap', async () => {
    const memory = memoryRunStore();
    const writes: string[] = [];
    const store = {
      ...memory,
      putRun: async (run: Parameters<typeof memory.putRun>[0]) => {
        writes.push(`run@${run.metrics.at(-1)?.step ?? 0}`);
        await memory.putRun(run);
      },
      putCheckpoint: async (run: Parameters<typeof memory.putRun>[0], saved: Uint8Array) => {
        writes.push(`checkpoint@${deserializeCheckpoint(saved).step}+run@${run.metrics.at(-1)?.step ?? 0}`);
        await memory.putCheckpoint(run, saved);
      },
    };
    let clock = 0;
    const recorder = new RunRecorder(
      createRun('r2', defaultRunConfig, 0),
      store,
      () => {},
      60_000,
      () => clock,
    );
    for (let step = 1; step <= 4; step++) {
      clock += 1;
      await recorder.onEvent({ type: 'metric', time: clock, stage: 'pretrain', step, epoch: step / 4, loss: 1 });
    }
    const at4 = { type: 'checkpoint', time: clock, stage: 'pretrain', step: 4, epoch: 1 } as const;
    await recorder.onCheckpoint(checkpoint, at4);
    await recorder.onEvent(at4);
    // One write carries both: no moment exists where the checkpoint is stored and the record is not.
    expect(writes).toEqual(['checkpoint@4+run@4']);
    expect((await memory.getRun('r2'))?.checkpoint?.step).toBe(4);
  });
});
