import { describe, expect, it } from 'vitest';
import { deserializeCheckpoint, serializeCheckpoint } from './checkpoint';
import type { Checkpoint } from './types';

const checkpoint: Checkpoint = {
  version: 1,
  stage: 'finetune',
  step: 12,
  completed: {},
  models: {
    pretrain: { 'encoder/stem/conv/kernel': { shape: [3, 3, 3, 2], data: Float32Array.from({ length: 54 }, (_, i) => i / 7) } },
    finetune: { 'classifier/bias': { shape: [3], data: new Float32Array([1, -2, 3.5]) } },
  },
  optimizer: { 'classifier/bias/momentum': { shape: [3], data: new Float32Array([0.1, 0.2, 0.3]) } },
};

describe('checkpoint format', () => {
  it('round-trips every tensor exactly', () => {
    const back = deserializeCheckpoint(serializeCheckpoint(checkpoint));
    expect(back.stage).toBe('finetune');
    expect(back.step).toBe(12);
    expect(Array.from(back.models.pretrain['encoder/stem/conv/kernel'].data)).toEqual(
      Array.from(checkpoint.models.pretrain['encoder/stem/conv/kernel'].data),
    );
    expect(Array.from(back.models.finetune['classifier/bias'].data)).toEqual([1, -2, 3.5]);
    expect(back.optimizer['classifier/bias/momentum'].shape).toEqual([3]);
  });

  it('reads tensors from a Node Buffer that views a shared pool at a non-zero offset (as fs.readFileSync returns)', () => {
    const bytes = serializeCheckpoint(checkpoint);
    // A pool holding other bytes first, with the checkpoint at offset 3 (so not even 4-byte aligned).
    const pool = new ArrayBuffer(bytes.length + 16);
    new Uint8Array(pool).fill(0x7f);
    const view = Buffer.from(pool, 3, bytes.length);
    view.set(bytes);
    expect(view.byteOffset).toBe(3);
    const back = deserializeCheckpoint(view);
    expect(Array.from(back.models.pretrain['encoder/stem/conv/kernel'].data)).toEqual(
      Array.from(checkpoint.models.pretrain['encoder/stem/conv/kernel'].data),
    );
    expect(Array.from(back.models.finetune['classifier/bias'].data)).toEqual([1, -2, 3.5]);
    expect(Array.from(back.optimizer['classifier/bias/momentum'].data)).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.3])));
    // A small Buffer from Buffer.from(copy) shares Node's 8 KiB pool: the common real case.
    const pooled = Buffer.from(Array.from(bytes));
    expect(Array.from(deserializeCheckpoint(pooled).models.finetune['classifier/bias'].data)).toEqual([1, -2, 3.5]);
  });

  it('rejects foreign and truncated files with a clear reason', () => {
    const bytes = serializeCheckpoint(checkpoint);
    expect(() => deserializeCheckpoint(new TextEncoder().encode('{"hello": 1}'))).toThrow(/signature/);
    expect(() => deserializeCheckpoint(bytes.subarray(0, bytes.length - 4))).toThrow(/tensor data/);
  });
});
