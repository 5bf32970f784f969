import { describe, expect, it } from 'vitest';
import { defaultRunConfig, parseRunConfig } from '../core';
import {
  type BackendMeasurement,
  type BackendReport,
  chooseFastest,
  isSoftwareAdapter,
  measuringBatch,
  modelSignature,
  needsSoftwareFallback,
  recallChoice,
  rememberChoice,
  timeBudgetMs,
} from './backendRanking';

const m = (name: BackendMeasurement['name'], fields: Partial<BackendMeasurement>): BackendMeasurement => ({
  name,
  outcome: 'measured',
  adapter: null,
  software: false,
  imagesPerSecond: null,
  reason: null,
  ...fields,
});

describe('isSoftwareAdapter', () => {
  it('recognises SwiftShader, llvmpipe and the WebGPU fallback adapter, not a hardware GPU', () => {
    expect(isSoftwareAdapter('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)')).toBe(true);
    expect(isSoftwareAdapter('google · swiftshader')).toBe(true);
    expect(isSoftwareAdapter('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    expect(isSoftwareAdapter('nvidia · ampere', true)).toBe(true);
    expect(isSoftwareAdapter('ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)')).toBe(false);
    expect(isSoftwareAdapter(null)).toBe(false);
  });
});

describe('chooseFastest', () => {
  it('takes the highest images/s and says why, naming the others', () => {
    const { chosen, why } = chooseFastest([
      m('webgl', { imagesPerSecond: 40 }),
      m('wasm', { imagesPerSecond: 55.5 }),
      m('cpu', { outcome: 'timeout', reason: 'no step within 6 s' }),
    ]);
    expect(chosen).toBe('wasm');
    expect(why).toBe('wasm measured fastest (56 images/s); vs webgl 40 images/s; cpu too slow to finish a step in time.');
  });

  it('prefers any hardware backend over a faster software GPU', () => {
    const { chosen, why } = chooseFastest([m('webgpu', { imagesPerSecond: 90, software: true }), m('cpu', { imagesPerSecond: 3 })]);
    expect(chosen).toBe('cpu');
    expect(why).toContain('webgpu 90 images/s (software GPU)');
  });

  it('takes a software GPU when nothing else trained, and says so', () => {
    const { chosen, why } = chooseFastest([
      m('webgpu', { imagesPerSecond: 9, software: true }),
      m('webgl', { imagesPerSecond: 12, software: true }),
      m('wasm', { outcome: 'failed', reason: 'no wasm' }),
    ]);
    expect(chosen).toBe('webgl');
    expect(why).toContain('only a software GPU could train here');
  });

  it('throws, naming every backend and why, when none finished a step', () => {
    expect(() => chooseFastest([m('wasm', { outcome: 'failed', reason: 'boom' }), m('cpu', { outcome: 'timeout', reason: null })])).toThrow(
      'No backend could take a training step (wasm: boom; cpu: timeout).',
    );
  });
});

describe('needsSoftwareFallback and timeBudgetMs', () => {
  it('measures software GPUs only when no other backend finished a step', () => {
    expect(needsSoftwareFallback([m('webgpu', { outcome: 'skipped', software: true }), m('wasm', { imagesPerSecond: 10 })])).toBe(false);
    expect(needsSoftwareFallback([m('webgpu', { outcome: 'skipped', software: true }), m('wasm', { outcome: 'failed' })])).toBe(true);
  });

  it('gives the first backend the cap, later ones a multiple of the best total, within floor and cap', () => {
    const limits = { capMs: 25_000, floorMs: 3_000, factor: 2 };
    expect(timeBudgetMs(null, limits)).toBe(25_000);
    expect(timeBudgetMs(5_000, limits)).toBe(10_000);
    expect(timeBudgetMs(500, limits)).toBe(3_000);
    expect(timeBudgetMs(20_000, limits)).toBe(25_000);
  });
});

describe('model signature and the remembered choice', () => {
  it('changes with the network or the input size, not with training settings', () => {
    const base = modelSignature(defaultRunConfig);
    expect(modelSignature(parseRunConfig({ pretrain: { temperature: 0.2 } }))).toBe(base);
    expect(modelSignature(parseRunConfig({ model: { widthMultiplier: 0.5 } }))).not.toBe(base);
    expect(modelSignature(parseRunConfig({ dataset: { imageSize: 16 } }))).not.toBe(base);
    expect(measuringBatch(parseRunConfig({ pretrain: { batchSize: 4 } }))).toBe(4);
    expect(measuringBatch(defaultRunConfig)).toBe(16);
  });

  it('remembers per model and browser, and reads a corrupt store as nothing remembered', () => {
    const values = new Map<string, string>();
    const storage = { getItem: (k: string) => values.get(k) ?? null, setItem: (k: string, v: string) => void values.set(k, v) };
    const report: BackendReport = {
      signature: 'sig-a',
      measuredAt: 1,
      views: 32,
      measurements: [m('wasm', { imagesPerSecond: 10 })],
      chosen: 'wasm',
      why: 'w',
    };
    rememberChoice(storage, report, 'UA 1');
    expect(recallChoice(storage, 'sig-a', 'UA 1')).toEqual(report);
    expect(recallChoice(storage, 'sig-a', 'UA 2')).toBeNull();
    expect(recallChoice(storage, 'sig-b', 'UA 1')).toBeNull();
    values.set('simclr-lab.backend-choice.v1', '{not json');
    expect(recallChoice(storage, 'sig-a', 'UA 1')).toBeNull();
    rememberChoice(storage, report, 'UA 1');
    expect(recallChoice(storage, 'sig-a', 'UA 1')?.chosen).toBe('wasm');
  });
});
