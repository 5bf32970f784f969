import { afterEach, describe, expect, it, vi } from 'vitest';
import { runBench, type BenchReport } from './bench';

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
    const report = await runBench(['--backends', 'wasm', '--width', '0.0625', '--n', '2', '--steps', '3',
      '--warmup', '1', '--no-torch', '--json']);
    expect(out).toHaveLength(1);
    const parsed = JSON.parse(out[0]) as BenchReport;
    expect(parsed).toEqual(JSON.parse(JSON.stringify(report)));
    expect(parsed.machine.cores).toBeGreaterThan(0);
    expect(parsed.machine.tfjs).toBe('4.22.0');
    expect(parsed.reference).toBeNull();
    const [wasm] = parsed.results;
    expect(wasm).toMatchObject({ backend: 'wasm', width: 0.0625, n: 2, views: 4, steps: 3, error: null, tensorsStable: true });
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
});
