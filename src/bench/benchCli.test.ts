import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromBrowserResult, parseBenchArgs, runBench, type BenchReport } from './benchCli';
import { benchPageQuery } from './browserBench';

afterEach(() => {
  vi.restoreAllMocks();
});

function captureStdout(): string[] {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return chunks;
}

describe('npm run bench', () => {
  it('--json prints exactly one JSON object with the machine, per-backend results and the reference', async () => {
    const out = captureStdout();
    const report = await runBench([
      '--backends',
      'wasm',
      '--width',
      '0.0625',
      '--n',
      '2',
      '--steps',
      '3',
      '--warmup',
      '1',
      '--no-torch',
      '--json',
    ]);
    expect(out).toHaveLength(1);
    const parsed = JSON.parse(out[0]) as BenchReport;
    expect(parsed).toEqual(JSON.parse(JSON.stringify(report)));
    expect(parsed.machine.cores).toBeGreaterThan(0);
    expect(parsed.machine.tfjs).toBe('4.22.0');
    expect(parsed.reference).toBeNull();
    const [wasm] = parsed.results;
    expect(wasm).toMatchObject({
      backend: 'wasm',
      environment: 'node',
      width: 0.0625,
      n: 2,
      views: 4,
      steps: 3,
      error: null,
      tensorsStable: true,
    });
    // images/s is 2N over the median step time.
    expect(wasm.imagesPerSecond!).toBeCloseTo(4 / (wasm.stepMsMedian! / 1000), 6);
    expect(wasm.stepMsMin!).toBeLessThanOrEqual(wasm.stepMsMedian!);
    expect(wasm.stepMsMedian!).toBeLessThanOrEqual(wasm.stepMsMax!);
    expect(parsed.notes.join(' ')).toMatch(/at least 10/);
    // The ImageNet input pipeline is measured too: JPEG decoding in worker threads, no training.
    expect(parsed.inputPipeline!.images).toBeGreaterThan(0);
    expect(parsed.inputPipeline!.imagesPerSecond).toBeCloseTo(parsed.inputPipeline!.images / parsed.inputPipeline!.seconds, 6);
  });

  it('reports a backend that cannot start as an error entry, not a crash', async () => {
    captureStdout();
    const report = await runBench(['--backends', 'tfjs-node', '--no-torch', '--no-loader', '--json']);
    expect(report!.results[0].error).toMatch(/could not start.*Available here/);
    expect(report!.results[0].imagesPerSecond).toBeNull();
  });

  it('rejects bad numbers naming the flag', async () => {
    captureStdout();
    await expect(runBench(['--n', '0'])).rejects.toThrow(/--n must be an integer ≥ 1, got '0'/);
    await expect(runBench(['--model', 'vit'])).rejects.toThrow(/--model must be simclr or torch-like/);
  });

  it('--browser adds the browser run, --browser-only replaces the Node one; browser flags are checked', () => {
    expect(parseBenchArgs([]).browser).toBe('no');
    const also = parseBenchArgs(['--browser', '--n', '8']);
    expect(also).toMatchObject({ browser: 'also', browserBackends: ['webgpu', 'wasm', 'webgl', 'cpu'], browserWasmThreads: null, n: 8 });
    const only = parseBenchArgs(['--browser-only', '--browser-backends', 'wasm, cpu', '--browser-wasm-threads', '1']);
    expect(only).toMatchObject({ browser: 'only', browserBackends: ['wasm', 'cpu'], browserWasmThreads: 1 });
    expect(parseBenchArgs(['--browser', '--browser-wasm-threads', 'tfjs']).browserWasmThreads).toBe('tfjs');
    expect(() => parseBenchArgs(['--browser', '--browser-backends', 'tensorflow'])).toThrow(
      /--browser-backends must list some of webgpu, wasm, webgl, cpu/,
    );
    expect(() => parseBenchArgs(['--browser', '--browser-wasm-threads', '0'])).toThrow(/--browser-wasm-threads must be an integer ≥ 1/);
    expect(() => parseBenchArgs(['--browser-backends', 'wasm'])).toThrow(/--browser-backends needs --browser or --browser-only/);
  });

  it('measures the project kernels unless asked for tfjs as shipped', () => {
    expect(parseBenchArgs([])).toMatchObject({ kernels: 'project', kernelLayers: false });
    expect(parseBenchArgs(['--kernels', 'stock', '--kernel-layers'])).toMatchObject({ kernels: 'stock', kernelLayers: true });
    expect(() => parseBenchArgs(['--kernels', 'fast'])).toThrow(/--kernels must be project or stock, got 'fast'/);
    const query = new URLSearchParams(
      benchPageQuery({
        backends: ['webgpu'],
        width: 0.25,
        n: 4,
        cpuN: 4,
        steps: 2,
        warmup: 1,
        model: 'simclr',
        wasmThreads: null,
        timeoutSeconds: 60,
        kernels: 'stock',
        kernelLayers: true,
      }),
    );
    expect(query.get('kernels')).toBe('stock');
    expect(query.get('layers')).toBe('1');
  });

  it('passes the CLI options to the bench page and reports browser results in the Node shape', () => {
    const query = new URLSearchParams(
      benchPageQuery({
        backends: ['wasm', 'cpu'],
        width: 0.25,
        n: 64,
        cpuN: 4,
        steps: 10,
        warmup: 3,
        model: 'simclr',
        wasmThreads: 1,
        timeoutSeconds: 600,
      }),
    );
    expect(Object.fromEntries(query)).toEqual({
      backends: 'wasm,cpu',
      width: '0.25',
      n: '64',
      cpuN: '4',
      steps: '10',
      warmup: '3',
      model: 'simclr',
      timeout: '600',
      threads: '1',
    });
    const result = fromBrowserResult(
      {
        backend: 'wasm',
        detail: 'SIMD, 2 threads',
        model: 'simclr',
        width: 0.25,
        n: 64,
        views: 128,
        warmup: 3,
        steps: 10,
        imagesPerSecond: 60,
        imagesPerSecondBest: 70,
        stepMsMedian: 2133,
        stepMsMin: 1829,
        stepMsMax: 2500,
        firstLoss: 4.9,
        lastLoss: 3.1,
        tensorsStable: true,
        parameterCount: 749_000,
        firstStepMs: 3000,
        wasmThreads: 2,
        wasmSimd: true,
        crossOriginIsolated: true,
        hardwareConcurrency: 2,
        kernels: 'stock',
        filterGradientLayers: null,
        memory: null,
        notices: [],
        error: null,
      },
      'Chromium 156.0.8078.108',
    );
    expect(result).toMatchObject({
      backend: 'wasm',
      environment: 'browser (Chromium 156.0.8078.108)',
      imagesPerSecond: 60,
      pytorchSpeedup: null,
      kernels: 'stock',
    });
    expect(result.notices.join(' ')).toMatch(/first step 3000 ms/);
  });
});
