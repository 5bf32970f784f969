/**
 * `npm run bench -- --browser`: the reference SimCLR step in Chromium's Web Workers, one fresh
 * worker per backend (src/bench/main.ts, src/bench/benchWorker.ts), driven by Playwright against
 * a Vite dev server started here. The dev server sends COOP/COEP (vite.config.ts), so the page is
 * cross-origin isolated and tfjs can start its threaded wasm binary.
 */
import { chromium, type Browser } from '@playwright/test';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumPath, chromiumWebGpuArgs } from '../node/chromium';
import { freePort } from '../node/freePort';
import type { StepBenchSettings } from './measureSteps';
import type { BenchPageState } from './main';
import type { BrowserBenchResult } from './benchWorker';

export const browserBackendNames = ['webgpu', 'wasm', 'webgl', 'cpu'] as const;

export interface BrowserBenchOptions extends StepBenchSettings {
  backends: string[];
  /** XNNPACK threads for wasm; null: one per logical core; 'tfjs': tfjs's own choice. */
  wasmThreads: number | 'tfjs' | null;
  /** Per backend, in seconds: the page stops a worker that has not answered by then. */
  timeoutSeconds: number;
  /** tfjs's kernels as shipped ('stock') or the project's (default). */
  kernels?: 'project' | 'stock';
  /** Also time the Conv2DBackpropFilter variants per ResNet layer. */
  kernelLayers?: boolean | 'only';
}

export interface BrowserBenchRun {
  /** e.g. "Chromium 156.0.8078.108". */
  browser: string;
  crossOriginIsolated: boolean;
  results: BrowserBenchResult[];
}

/** The bench page's query string for these options (exported for tests). */
export function benchPageQuery(options: BrowserBenchOptions): string {
  const query = new URLSearchParams({
    backends: options.backends.join(','),
    width: String(options.width),
    n: String(options.n),
    cpuN: String(options.cpuN),
    steps: String(options.steps),
    warmup: String(options.warmup),
    model: options.model,
    timeout: String(options.timeoutSeconds),
  });
  if (options.wasmThreads !== null) query.set('threads', String(options.wasmThreads));
  if (options.kernels === 'stock') query.set('kernels', 'stock');
  if (options.kernelLayers) query.set('layers', options.kernelLayers === 'only' ? 'only' : '1');
  return query.toString();
}

export async function runBrowserBench(options: BrowserBenchOptions, log: (message: string) => void): Promise<BrowserBenchRun> {
  const unknown = options.backends.filter((b) => !(browserBackendNames as readonly string[]).includes(b));
  if (unknown.length > 0) {
    throw new Error(`--browser-backends: unknown backend(s) ${unknown.join(', ')}; browser backends are ${browserBackendNames.join(', ')}`);
  }
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  let server: ViteDevServer | null = null;
  let browser: Browser | null = null;
  const closeAll = async () => {
    const [b, s] = [browser, server];
    browser = null;
    server = null;
    await Promise.allSettled([b?.close(), s?.close()]);
  };
  // Ctrl-C must not leave a Chromium or a server behind.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`bench: ${signal}, closing Chromium and the Vite server`);
    void closeAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const port = await freePort();
    server = await createServer({
      root,
      configFile: path.join(root, 'vite.config.ts'),
      logLevel: 'warn',
      // Its own dependency cache, so a developer's `npm start` running at the same time is not disturbed.
      cacheDir: path.join(root, 'node_modules', '.vite-bench'),
      optimizeDeps: { entries: ['src/bench/index.html'] },
      server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
    });
    await server.listen();
    const url = `http://127.0.0.1:${port}/src/bench/index.html?${benchPageQuery(options)}`;
    log(`bench: Vite dev server on http://127.0.0.1:${port}; launching ${executablePath}`);
    // Our own signal handler closes the browser and the server together and exits.
    browser = await chromium.launch({
      executablePath,
      args: [...chromiumWebGpuArgs],
      headless: true,
      handleSIGINT: false,
      handleSIGTERM: false,
    });
    const browserName = `Chromium ${browser.version()}`;
    const page = await browser.newPage();
    page.on('console', (message) => {
      const text = message.text();
      if (text.startsWith('[bench] ')) log(`  ${text.slice(8)}`);
    });
    page.on('pageerror', (error) => log(`  page error: ${error.message}`));
    await page.goto(url);
    // Each backend is bounded by the page's own per-backend timeout; this only catches a page that died.
    const overallMs = (options.backends.length * options.timeoutSeconds + 120) * 1000;
    await page.waitForFunction(() => window.__simclrBench?.done === true, undefined, { timeout: overallMs, polling: 1000 });
    const state = (await page.evaluate(() => window.__simclrBench)) as BenchPageState;
    if (state.error !== null) throw new Error(`the bench page failed: ${state.error}`);
    return { browser: browserName, crossOriginIsolated: state.crossOriginIsolated, results: state.results };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await closeAll();
  }
}
