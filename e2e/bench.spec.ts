import { expect, test } from '@playwright/test';
import type { BenchPageState } from '../src/bench/main';

// The bench page of `npm run bench -- --browser`, tiny: a 1/16-width ResNet-18 on 8 views.
test('the bench page measures wasm (threaded, cross-origin isolated) and webgpu in workers', async ({ page }) => {
  await page.goto('/src/bench/index.html?backends=wasm,webgpu&width=0.0625&n=4&steps=2&warmup=1');
  await page.waitForFunction(() => window.__simclrBench?.done === true, undefined, { timeout: 200_000, polling: 500 });
  const state = (await page.evaluate(() => window.__simclrBench)) as BenchPageState;
  expect(state.error).toBeNull();
  expect(state.crossOriginIsolated).toBe(true);
  expect(state.results.map((r) => r.backend)).toEqual(['wasm', 'webgpu']);

  const [wasm, webgpu] = state.results;
  expect(wasm.error).toBeNull();
  expect(wasm.crossOriginIsolated).toBe(true);
  expect(Number.isFinite(wasm.firstLoss) && Number.isFinite(wasm.lastLoss)).toBe(true);
  expect(wasm.imagesPerSecond!).toBeGreaterThan(0);
  expect(wasm.tensorsStable).toBe(true);
  // COOP/COEP from vite preview: tfjs starts its threaded binary with one thread per core.
  expect(wasm.wasmThreads!).toBeGreaterThanOrEqual(2);
  expect(wasm.detail).toMatch(/SIMD, \d+ threads \(threaded binary\), crossOriginIsolated true/);

  expect(webgpu.error).toBeNull();
  expect(Number.isFinite(webgpu.lastLoss)).toBe(true);
  await expect(page.getByTestId('bench-results').locator('tr[data-backend]')).toHaveCount(2);
});

// The project's GPU filter gradient (split-K GEMM per tap) against tfjs's own kernels on the real
// browser backends, on every conv shape of the reference ResNet-18 (small widths and batch).
test('the registered Conv2DBackpropFilter matches tfjs on webgpu and webgl', async ({ page }) => {
  await page.goto('/src/bench/index.html?backends=webgpu,webgl&width=0.0625&n=2&layers=only');
  await page.waitForFunction(() => window.__simclrBench?.done === true, undefined, { timeout: 220_000, polling: 500 });
  const state = (await page.evaluate(() => window.__simclrBench)) as BenchPageState;
  expect(state.error).toBeNull();
  for (const result of state.results) {
    expect(result.error, result.backend).toBeNull();
    expect(result.filterGradientLayers!.length).toBe(7);
    for (const layer of result.filterGradientLayers!) {
      const stock = layer.timings.find((t) => t.variant === 'stock')!;
      const where = `${result.backend} ${layer.layer.name}`;
      expect(stock.error, where).toBeNull();
      // 'registered' is what the lab trains with; 'tap-gemm' names the project's kernel explicitly.
      for (const variant of ['registered', 'tap-gemm'] as const) {
        const timing = layer.timings.find((t) => t.variant === variant)!;
        expect(timing.error, `${where} ${variant}`).toBeNull();
        expect(timing.relativeDifference!, `${where} ${variant}`).toBeLessThan(1e-4);
      }
    }
  }
});
