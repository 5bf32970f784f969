import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deserializeCheckpoint, serializeCheckpoint } from '../core/checkpoint';
import type { Checkpoint } from '../core/types';
import { tempDirs } from '../testing/tempDir';

/** Every test's folders are removed after it. */
const temps = tempDirs();
afterEach(() => temps.removeAll());

describe('checkpoints on disk', () => {
  it('read back from a file (a Node Buffer) hold the weights that were written', () => {
    const checkpoint: Checkpoint = {
      version: 1,
      stage: 'finetune',
      step: 0,
      completed: {},
      models: {
        pretrain: { a: { shape: [3], data: new Float32Array([1.5, -2, 3]) }, b: { shape: [2, 1], data: new Float32Array([7, 8]) } },
      },
      optimizer: {},
    };
    const path = join(temps.make('simclr-ckpt-'), 'checkpoint.bin');
    writeFileSync(path, serializeCheckpoint(checkpoint));
    const bytes = readFileSync(path);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const back = deserializeCheckpoint(bytes);
    expect(Array.from(back.models.pretrain.a.data)).toEqual([1.5, -2, 3]);
    expect(Array.from(back.models.pretrain.b.data)).toEqual([7, 8]);
    // A Buffer that is a window into a larger pool (small files are read into one) as well.
    const pooled = Buffer.concat([Buffer.alloc(13), bytes]).subarray(13);
    expect(Array.from(deserializeCheckpoint(pooled).models.pretrain.a.data)).toEqual([1.5, -2, 3]);
  });
});
