import * as Comlink from 'comlink';
import { unmeasuredResult, type StepBenchSettings } from './measureSteps';
import { backendNames, type BackendName } from '../protocol/labWorkerApi';
import type { BenchWorkerApi, BrowserBenchOptions, BrowserBenchResult } from './benchWorker';

/**
 * The page `npm run bench -- --browser` drives (src/bench/browserBench.ts); also usable by hand.
 * Runs each backend in its own fresh worker, one after another, and publishes the results on
 * `window.__simclrBench` for Playwright.
 */
interface PageOptions extends StepBenchSettings {
  backends: BackendName[];
  threads: number | undefined;
  kernels: 'project' | 'stock';
  filterGradientLayers: boolean | 'only';
  /** Per backend: a worker that has not answered by then is stopped and reported as an error. */
  timeoutMs: number;
}

export interface BenchPageState {
  done: boolean;
  results: BrowserBenchResult[];
  error: string | null;
  crossOriginIsolated: boolean;
  userAgent: string;
}

declare global {
  interface Window {
    __simclrBench: BenchPageState;
  }
}

const state: BenchPageState = {
  done: false,
  results: [],
  error: null,
  crossOriginIsolated: self.crossOriginIsolated,
  userAgent: navigator.userAgent,
};
window.__simclrBench = state;

const statusLine = document.getElementById('status')!;
const table = document.getElementById('results') as HTMLTableElement;
const logBox = document.getElementById('log')!;

function log(message: string): void {
  // Prefixed so the CLI can forward progress lines without the page's other console noise.
  console.log(`[bench] ${message}`);
  logBox.textContent += `${message}\n`;
  logBox.scrollTop = logBox.scrollHeight;
}

function parseOptions(query: URLSearchParams): PageOptions {
  const number = (name: string, fallback: number, min: number, integer: boolean): number => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got '${raw}'`);
    }
    return value;
  };
  const backends = (query.get('backends') ?? 'webgpu,wasm,webgl,cpu')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b);
  const unknown = backends.filter((b) => !(backendNames as readonly string[]).includes(b));
  if (unknown.length > 0) throw new Error(`unknown backend(s) ${unknown.join(', ')}: choose from ${backendNames.join(', ')}`);
  if (backends.length === 0) throw new Error('backends is empty');
  const model = query.get('model') ?? 'simclr';
  if (model !== 'simclr' && model !== 'torch-like') throw new Error(`model must be simclr or torch-like, got '${model}'`);
  const n = number('n', 64, 1, true);
  const cpuN = number('cpuN', 4, 0, true);
  // Default: one wasm thread per logical core (as PyTorch's headline run); 'tfjs' keeps tfjs's own choice.
  const threads = query.get('threads') === 'tfjs' ? undefined : number('threads', navigator.hardwareConcurrency, 1, true);
  const width = number('width', 0.25, 0.001, false);
  const kernels = query.get('kernels') ?? 'project';
  if (kernels !== 'project' && kernels !== 'stock') throw new Error(`kernels must be project or stock, got '${kernels}'`);
  return {
    backends: backends as BackendName[],
    width,
    n,
    cpuN: cpuN === 0 ? n : cpuN,
    steps: number('steps', 10, 1, true),
    warmup: number('warmup', 3, 0, true),
    model,
    threads,
    kernels,
    filterGradientLayers: query.get('layers') === 'only' ? 'only' : query.get('layers') === '1',
    timeoutMs: number('timeout', 1200, 1, false) * 1000,
  };
}

function emptyResult(options: BrowserBenchOptions, error: string): BrowserBenchResult {
  return {
    ...unmeasuredResult({
      backend: options.backend,
      width: options.widthMultiplier,
      n: options.n,
      warmup: options.warmup,
      steps: options.steps,
      kernels: options.kernels ?? 'project',
    }),
    wasmThreads: null,
    wasmSimd: null,
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    error,
  };
}

/** One backend in a fresh worker; a crash, a load failure or a hang becomes an error result. */
async function runInFreshWorker(options: BrowserBenchOptions, timeoutMs: number): Promise<BrowserBenchResult> {
  const worker = new Worker(new URL('./benchWorker.ts', import.meta.url), { type: 'module', name: `bench-${options.backend}` });
  const api = Comlink.wrap<BenchWorkerApi>(worker);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failed = new Promise<BrowserBenchResult>((resolve) => {
    worker.addEventListener('error', (event) => {
      resolve(emptyResult(options, `the bench worker failed: ${event.message || 'it could not be loaded'}`));
    });
    timer = setTimeout(() => resolve(emptyResult(options, `no result within ${timeoutMs / 1000} s; the worker was stopped`)), timeoutMs);
  });
  try {
    return await Promise.race([
      api.run(options, Comlink.proxy(log)).catch((error: unknown) => emptyResult(options, String(error))),
      failed,
    ]);
  } finally {
    clearTimeout(timer);
    api[Comlink.releaseProxy]();
    // Frees the backend's memory (GPU buffers, wasm heap, its pthreads) before the next one starts.
    worker.terminate();
  }
}

function format(value: number | null, digits: number): string {
  return value === null ? '' : value.toFixed(digits);
}

function render(): void {
  const head =
    '<tr><th>backend</th><th>model</th><th>w</th><th>N</th><th>images/s</th><th>best</th>' +
    '<th>median ms</th><th>first step ms</th><th>loss first→last</th><th>tensors stable</th><th>detail</th></tr>';
  const rows = state.results.map((r) => {
    const cell = (text: string, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</td>`;
    if (r.error !== null)
      return `<tr data-backend="${escapeHtml(r.backend)}">${cell(r.backend)}<td colspan="10" class="error">${escapeHtml(r.error)}</td></tr>`;
    return (
      `<tr data-backend="${escapeHtml(r.backend)}">` +
      [
        cell(r.backend),
        cell(r.model ?? ''),
        cell(String(r.width)),
        cell(String(r.n)),
        cell(format(r.imagesPerSecond, 1)),
        cell(format(r.imagesPerSecondBest, 1)),
        cell(format(r.stepMsMedian, 0)),
        cell(format(r.firstStepMs, 0)),
        cell(`${format(r.firstLoss, 3)}→${format(r.lastLoss, 3)}`),
        cell(r.tensorsStable ? 'yes' : 'no'),
        cell([r.detail ?? '', ...r.notices].filter((t) => t).join('; '), 'detail'),
      ].join('') +
      '</tr>'
    );
  });
  table.innerHTML = head + rows.join('');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

async function main(): Promise<void> {
  const options = parseOptions(new URLSearchParams(location.search));
  log(`crossOriginIsolated ${self.crossOriginIsolated}, ${navigator.hardwareConcurrency} logical cores, ${navigator.userAgent}`);
  for (const backend of options.backends) {
    const n = backend === 'cpu' ? options.cpuN : options.n;
    statusLine.textContent = `Running ${backend} (N = ${n})…`;
    const result = await runInFreshWorker(
      {
        backend,
        widthMultiplier: options.width,
        n,
        steps: options.steps,
        warmup: options.warmup,
        model: options.model,
        kernels: options.kernels,
        filterGradientLayers: options.filterGradientLayers,
        ...(backend === 'wasm' && options.threads !== undefined ? { threads: options.threads } : {}),
      },
      options.timeoutMs,
    );
    if (backend === 'cpu' && n !== options.n) result.notices.push(`cpu measured at N=${n} (cpuN), not ${options.n}`);
    log(result.error === null ? `${backend}: ${format(result.imagesPerSecond, 1)} images/s` : `${backend}: error: ${result.error}`);
    state.results.push(result);
    render();
  }
  statusLine.textContent = 'Done.';
}

main()
  .catch((error: unknown) => {
    state.error = error instanceof Error ? error.message : String(error);
    statusLine.textContent = `Error: ${state.error}`;
    log(`error: ${state.error}`);
  })
  .finally(() => {
    state.done = true;
  });
