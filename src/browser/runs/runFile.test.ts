import { strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { type Checkpoint, defaultRunConfig } from '../../core';
import { exportRunFile, exportWeightsFile, importRunFile } from './runFile';
import { createRun } from './runRecord';

const checkpoint: Checkpoint = {
  version: 1,
  stage: 'finetune',
  step: 7,
  completed: {},
  models: { pretrain: { 'stem/kernel': { shape: [2, 3], data: new Float32Array([1, -2.5, 3, 1e-7, -0, Number.MAX_VALUE / 2]) } } },
  optimizer: { 'stem/kernel/momentum': { shape: [1], data: new Float32Array([0.25]) } },
};

describe('run files', () => {
  it('round-trips a run and its checkpoint bit-exactly; a live run comes back interrupted', () => {
    const run = createRun('run-1', { ...defaultRunConfig, seed: 9 }, 123);
    run.metrics.push({ stage: 'pretrain', step: 1, epoch: 0.1, loss: 3.5 });
    const bytes = exportRunFile(run, checkpoint);
    expect(bytes[0]).toBe(0x1f);
    const back = importRunFile(bytes);
    expect(back.run.config.seed).toBe(9);
    expect(back.run.metrics).toEqual(run.metrics);
    expect(back.run.status).toBe('interrupted');
    expect(back.checkpoint?.step).toBe(7);
    expect(Array.from(back.checkpoint!.models.pretrain['stem/kernel'].data)).toEqual(Array.from(checkpoint.models.pretrain['stem/kernel'].data));
    expect(back.checkpoint?.optimizer['stem/kernel/momentum'].data[0]).toBe(0.25);
  });

  it('explains what is wrong with a bad file', () => {
    expect(() => importRunFile(strToU8('hello'))).toThrow(/not JSON/);
    expect(() => importRunFile(strToU8('{"format":"other"}'))).toThrow(/format marker/);
    const badConfig = { format: 'simclr-lab-run', version: 1, run: { ...createRun('x', defaultRunConfig), config: { pretrain: { temperature: -1 } } } };
    expect(() => importRunFile(strToU8(JSON.stringify(badConfig)))).toThrow(/pretrain\.temperature/);
    const badTensor = { format: 'simclr-lab-run', version: 1, run: createRun('x', defaultRunConfig), checkpoint: { ...checkpoint, models: { m: { w: { shape: [4], data: 'AAAA' } } }, optimizer: {} } };
    expect(() => importRunFile(strToU8(JSON.stringify(badTensor)))).toThrow(/m\/w/);
  });

  it('exports weights without optimiser state', () => {
    const json = JSON.parse(new TextDecoder().decode(exportWeightsFile(createRun('r', defaultRunConfig), checkpoint)));
    expect(json.format).toBe('simclr-lab-weights');
    expect(Object.keys(json.models.pretrain)).toEqual(['stem/kernel']);
    expect(json.optimizer).toBeUndefined();
  });
});
