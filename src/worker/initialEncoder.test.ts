import { describe, expect, it } from 'vitest';
import { strToU8 } from 'fflate';
import { type Checkpoint, parseRunConfig, serializeCheckpoint } from '../core';
import { bytesToBase64 } from '../protocol/base64';
import { exportRunFile, exportWeightsFile } from '../browser/runs/runFile';
import { createRun } from '../browser/runs/runRecord';
import { encoderFromBytes } from './initialEncoder';

const config = parseRunConfig({ model: { widthMultiplier: 0.125 } });
const weights = {
  'encoder/stem/conv/kernel': { shape: [2], data: new Float32Array([1, 2]) },
  'head/dense1/kernel': { shape: [1], data: new Float32Array([3]) },
  'linearProbe/kernel': { shape: [1], data: new Float32Array([4]) },
};
const checkpoint: Checkpoint = { version: 1, stage: 'finetune', step: 4, completed: {}, models: { pretrain: weights }, optimizer: {} };

describe('encoderFromBytes', () => {
  it('reads the encoder of a checkpoint, a weights download, an exported run and an old JSON weights file alike', () => {
    const run = createRun('r1', config);
    const encoded = serializeCheckpoint(checkpoint);
    const jsonTensors = Object.fromEntries(
      Object.entries(weights).map(([path, t]) => [path, { shape: t.shape, data: bytesToBase64(new Uint8Array(t.data.buffer)) }]),
    );
    const oldWeights = strToU8(JSON.stringify({ format: 'simclr-lab-weights', version: 1, config, models: { pretrain: jsonTensors } }));
    for (const [name, bytes] of [
      ['a.ckpt', encoded],
      ['w.ckpt', exportWeightsFile(run, encoded)],
      ['r.simclr-run.json.gz', exportRunFile(run, encoded)],
      ['old.weights.json', oldWeights],
    ] as const) {
      const encoder = encoderFromBytes(bytes, name);
      expect(encoder.source).toBe(name);
      expect(Object.keys(encoder.weights).sort()).toEqual(['encoder/stem/conv/kernel', 'head/dense1/kernel']);
      expect(Array.from(encoder.weights['encoder/stem/conv/kernel'].data)).toEqual([1, 2]);
    }
    // A weights download records its run's architecture.
    expect(encoderFromBytes(exportWeightsFile(run, encoded), 'w.ckpt').architecture?.widthMultiplier).toBe(0.125);
    expect(encoderFromBytes(oldWeights, 'old.weights.json').architecture?.widthMultiplier).toBe(0.125);
  });

  it('names the file when it is none of them, or a run without a checkpoint', () => {
    expect(() => encoderFromBytes(new TextEncoder().encode('{"x":1}'), 'notes.json')).toThrow(
      /notes\.json is not a SimCLR Lab checkpoint, weights or run file/,
    );
    expect(() => encoderFromBytes(exportRunFile(createRun('r2', config)), 'empty.gz')).toThrow(
      /empty\.gz is a run file without a checkpoint/,
    );
  });
});
