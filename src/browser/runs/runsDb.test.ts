import { describe, expect, it } from 'vitest';
import { type Checkpoint, defaultRunConfig, deserializeCheckpoint, serializeCheckpoint } from '../../core';
import { createRun } from './runRecord';
import { encodedCheckpoint, memoryRunStore, readCheckpoint } from './runsDb';

const checkpoint: Checkpoint = {
  version: 1,
  stage: 'pretrain',
  step: 3,
  completed: {},
  models: { pretrain: { 'encoder/w': { shape: [3], data: new Float32Array([0.5, -1, 2]) } } },
  optimizer: { 'encoder/w/momentum': { shape: [3], data: new Float32Array([0, 0, 1]) } },
};

describe('stored checkpoints', () => {
  it('are the encoded bytes, read back decoded, with the record written alongside', async () => {
    const store = memoryRunStore();
    const run = { ...createRun('r', defaultRunConfig, 0), checkpoint: { stage: 'pretrain' as const, step: 3, epoch: 1 } };
    const encoded = serializeCheckpoint(checkpoint);
    await store.putCheckpoint(run, encoded);
    expect(await store.getCheckpointBytes('r')).toBe(encoded);
    expect((await store.getRun('r'))?.checkpoint?.step).toBe(3);
    expect(Array.from((await readCheckpoint(store, 'r'))!.models.pretrain['encoder/w'].data)).toEqual([0.5, -1, 2]);
    expect(await readCheckpoint(store, 'other')).toBeUndefined();
  });

  it('read checkpoints stored as objects by earlier versions as encoded bytes', () => {
    const bytes = encodedCheckpoint(checkpoint)!;
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(deserializeCheckpoint(bytes).optimizer['encoder/w/momentum'].data)).toEqual([0, 0, 1]);
    const already = serializeCheckpoint(checkpoint);
    expect(encodedCheckpoint(already)).toBe(already);
    expect(encodedCheckpoint(undefined)).toBeUndefined();
  });
});
