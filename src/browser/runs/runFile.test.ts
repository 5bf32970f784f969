import { strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  type TensorRecord,
  architectureOf,
  defaultRunConfig,
  deserializeCheckpoint,
  serializeCheckpoint,
} from '../../core';
import { bytesToBase64 } from '../../protocol/base64';
import { exportRunFile, exportWeightsFile, importLegacyWeightsFile, importRunFile } from './runFile';
import { createRun } from './runRecord';

const checkpoint: Checkpoint = {
  version: 1,
  stage: 'finetune',
  step: 7,
  completed: {},
  models: { pretrain: { 'stem/kernel': { shape: [2, 3], data: new Float32Array([1, -2.5, 3, 1e-7, -0, Number.MAX_VALUE / 2]) } } },
  optimizer: { 'stem/kernel/momentum': { shape: [1], data: new Float32Array([0.25]) } },
};

/** Tensors as files of version 1 wrote them: {shape, data: base64 of the float32 bytes}. */
function legacyTensors(group: Record<string, TensorRecord>): Record<string, { shape: number[]; data: string }> {
  return Object.fromEntries(
    Object.entries(group).map(([name, t]) => [
      name,
      { shape: t.shape, data: bytesToBase64(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)) },
    ]),
  );
}

const bits = (t: TensorRecord) => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));

describe('run files', () => {
  it('embed the encoded checkpoint byte for byte; a live run comes back interrupted', () => {
    const run = createRun('run-1', { ...defaultRunConfig, seed: 9 }, 123);
    run.metrics.push({ stage: 'pretrain', step: 1, epoch: 0.1, loss: 3.5 });
    const encoded = serializeCheckpoint(checkpoint);
    const bytes = exportRunFile(run, encoded);
    expect(bytes[0]).toBe(0x1f);
    const back = importRunFile(bytes);
    expect(back.run.config.seed).toBe(9);
    expect(back.run.metrics).toEqual(run.metrics);
    expect(back.run.status).toBe('interrupted');
    expect(Array.from(back.checkpoint!)).toEqual(Array.from(encoded));
    const decoded = deserializeCheckpoint(back.checkpoint!);
    expect(decoded.step).toBe(7);
    expect(bits(decoded.models.pretrain['stem/kernel'])).toEqual(bits(checkpoint.models.pretrain['stem/kernel']));
    expect(decoded.optimizer['stem/kernel/momentum'].data[0]).toBe(0.25);
    expect(importRunFile(exportRunFile(run)).checkpoint).toBeUndefined();
  });

  it('still reads version 1 files, re-encoding their JSON tensors', () => {
    const legacy = {
      format: 'simclr-lab-run',
      version: 1,
      run: createRun('old', defaultRunConfig),
      checkpoint: {
        ...checkpoint,
        models: { pretrain: legacyTensors(checkpoint.models.pretrain) },
        optimizer: legacyTensors(checkpoint.optimizer),
      },
    };
    const back = deserializeCheckpoint(importRunFile(strToU8(JSON.stringify(legacy))).checkpoint!);
    expect(back.step).toBe(7);
    expect(bits(back.models.pretrain['stem/kernel'])).toEqual(bits(checkpoint.models.pretrain['stem/kernel']));
    expect(back.optimizer['stem/kernel/momentum'].data[0]).toBe(0.25);
  });

  it('explains what is wrong with a bad file', () => {
    expect(() => importRunFile(strToU8('hello'))).toThrow(/not JSON/);
    expect(() => importRunFile(strToU8('{"format":"other"}'))).toThrow(/format marker/);
    expect(() => importRunFile(strToU8('{"format":"simclr-lab-run","version":3}'))).toThrow(/Unsupported run file version 3/);
    const badConfig = {
      format: 'simclr-lab-run',
      version: 2,
      run: { ...createRun('x', defaultRunConfig), config: { pretrain: { temperature: -1 } } },
    };
    expect(() => importRunFile(strToU8(JSON.stringify(badConfig)))).toThrow(/pretrain\.temperature/);
    const badTensor = {
      format: 'simclr-lab-run',
      version: 1,
      run: createRun('x', defaultRunConfig),
      checkpoint: { ...checkpoint, models: { m: { w: { shape: [4], data: 'AAAA' } } }, optimizer: {} },
    };
    expect(() => importRunFile(strToU8(JSON.stringify(badTensor)))).toThrow(/m\/w/);
    const cut = serializeCheckpoint(checkpoint).subarray(0, 40);
    const damaged = { format: 'simclr-lab-run', version: 2, run: createRun('x', defaultRunConfig), checkpoint: bytesToBase64(cut) };
    expect(() => importRunFile(strToU8(JSON.stringify(damaged)))).toThrow(/checkpoint is damaged/);
  });

  it('downloads weights as a checkpoint without optimiser state, recording the architecture', () => {
    const config = { ...defaultRunConfig, model: { ...defaultRunConfig.model, widthMultiplier: 0.5 } };
    const weights = deserializeCheckpoint(exportWeightsFile(createRun('r', config), serializeCheckpoint(checkpoint)));
    expect(Object.keys(weights.models.pretrain)).toEqual(['stem/kernel']);
    expect(bits(weights.models.pretrain['stem/kernel'])).toEqual(bits(checkpoint.models.pretrain['stem/kernel']));
    expect(weights.optimizer).toEqual({});
    expect(weights.architecture).toEqual(architectureOf(config));
  });

  it('still reads JSON weights downloads of earlier versions', () => {
    const json = {
      format: 'simclr-lab-weights',
      version: 1,
      runId: 'r',
      config: defaultRunConfig,
      stage: 'finetune',
      step: 7,
      models: { pretrain: legacyTensors(checkpoint.models.pretrain) },
    };
    const back = importLegacyWeightsFile(strToU8(JSON.stringify(json)));
    expect(bits(back.models.pretrain['stem/kernel'])).toEqual(bits(checkpoint.models.pretrain['stem/kernel']));
    expect(back.architecture).toEqual(architectureOf(defaultRunConfig));
    expect(() => importLegacyWeightsFile(strToU8('{"format":"simclr-lab-weights","version":2}'))).toThrow(/version 2/);
  });
});
