import { describe, expect, it } from 'vitest';
import { planTrialSlots } from './trialSlots';

describe('planTrialSlots', () => {
  it('runs trials one after another on a GPU backend whatever the concurrency', () => {
    for (const backend of ['webgpu', 'webgl'] as const) {
      const slots = planTrialSlots({ backend, concurrency: 4, cores: 16, threadedWasm: true });
      expect(slots).toMatchObject({ workers: 1, wasmThreads: null, speed: 1 });
      expect(slots.note).toBe('GPU backend: trials run one after another');
    }
    expect(planTrialSlots({ backend: null, concurrency: 4, cores: 16, threadedWasm: true }).workers).toBe(1);
  });

  it('on wasm takes min(concurrency, cores) workers and splits the cores into their threads', () => {
    const two = planTrialSlots({ backend: 'wasm', concurrency: 2, cores: 8, threadedWasm: true });
    expect(two).toMatchObject({ workers: 2, wasmThreads: 4, speed: 1 });
    expect(two.note).toBe('2 trials at once, each in its own worker with 4 wasm threads (8 cores)');
    // Four workers on 8 cores get 2 threads each, half of the 4 the lab's worker uses.
    expect(planTrialSlots({ backend: 'wasm', concurrency: 4, cores: 8, threadedWasm: true })).toMatchObject({
      workers: 4,
      wasmThreads: 2,
      speed: 0.5,
    });
    // Uneven splits round down so workers × threads never exceeds the cores.
    for (const [concurrency, cores] of [
      [3, 8],
      [5, 7],
      [2, 3],
      [64, 12],
    ]) {
      const slots = planTrialSlots({ backend: 'wasm', concurrency, cores, threadedWasm: true });
      expect(slots.workers).toBe(Math.min(concurrency, cores));
      expect(slots.workers * (slots.wasmThreads ?? 0)).toBeLessThanOrEqual(cores);
      expect(slots.wasmThreads).toBeGreaterThanOrEqual(1);
    }
  });

  it('on the headless machine (2 cores) runs two single-threaded wasm workers at full speed', () => {
    expect(planTrialSlots({ backend: 'wasm', concurrency: 2, cores: 2, threadedWasm: true })).toMatchObject({
      workers: 2,
      wasmThreads: 1,
      speed: 1,
    });
    const capped = planTrialSlots({ backend: 'wasm', concurrency: 6, cores: 2, threadedWasm: true });
    expect(capped.workers).toBe(2);
    expect(capped.note).toContain('at most one per core');
  });

  it('keeps one worker when the cores or the concurrency allow no more', () => {
    expect(planTrialSlots({ backend: 'wasm', concurrency: 4, cores: 1, threadedWasm: true })).toMatchObject({
      workers: 1,
      wasmThreads: null,
    });
    expect(planTrialSlots({ backend: 'cpu', concurrency: 1, cores: 8, threadedWasm: true }).workers).toBe(1);
    expect(planTrialSlots({ backend: 'wasm', concurrency: 3, cores: Number.NaN, threadedWasm: true }).workers).toBe(1);
  });

  it('on cpu runs one trial per core, each as fast as the lab worker (cpu is single-threaded)', () => {
    expect(planTrialSlots({ backend: 'cpu', concurrency: 3, cores: 4, threadedWasm: true })).toMatchObject({
      workers: 3,
      wasmThreads: null,
      speed: 1,
    });
  });

  it('without threaded wasm every worker has one thread, as the lab worker does', () => {
    expect(planTrialSlots({ backend: 'wasm', concurrency: 4, cores: 8, threadedWasm: false })).toMatchObject({
      workers: 4,
      wasmThreads: 1,
      speed: 1,
    });
  });
});
