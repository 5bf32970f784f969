/**
 * `npm run bench [-- --backends wasm,cpu --width 0.25 --n 64 --steps 10 --json]`: images/s of the
 * reference SimCLR step (../shared/gpu/README.md) on each backend, and of PyTorch on this machine's
 * CPU when python3 with torch is available (../shared/gpu/reference_simclr_step.py).
 * images/s = 2N / median step time over `steps` steps after `warmup` warm-ups, awaiting the loss
 * every step. `--json` prints exactly one JSON object on stdout; progress goes to stderr.
 */
import type { LoaderBenchResult } from './imagenetInputBench';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandLineError, parseChoiceFlag, parseCommandLine, parseIntegerFlag, parseNumberFlag, runCommand } from '../node/commandLine';
import { availableNodeBackends, selectNodeBackend } from '../node/nodeBackends';
import type { BrowserBenchResult } from './benchWorker';
import type { BrowserBenchOptions } from './browserBench';
import { benchOnCurrentBackend, unmeasuredResult, installKernels, type BackendRunResult, type StepBenchSettings } from './measureSteps';

export type KernelChoice = 'project' | 'stock';

export const BENCH_USAGE = `Usage: npm run bench -- [--backends LIST] [--width W] [--n N] [--cpu-n N] [--steps S] [--warmup K]
                        [--model simclr|torch-like] [--torch-threads LIST] [--no-torch] [--no-loader] [--json]
                        [--browser | --browser-only] [--browser-backends LIST] [--browser-wasm-threads N]
                        [--browser-timeout S] [--kernels project|stock] [--kernel-layers | --kernel-layers-only]

  --backends LIST      comma-separated (webgpu, wasm, cpu, tensorflow, ...); default: every one that starts here
  --width W            ResNet-18 width multiplier (default 0.25)
  --n N                images per step, 2N views (default 64)
  --cpu-n N            N for the cpu backend, which is ~50x slower than wasm (default 4; 0 = same as --n)
  --steps S            timed steps (default 10, at least 10 for a reported figure)
  --warmup K           untimed steps first (default 3)
  --model KIND         simclr (the product's SimclrModel, default) or torch-like (PyTorch reference's exact net)
  --torch-threads LIST PyTorch CPU thread counts to measure (default "1,<cores>"); the first listed
                       with all cores is the headline reference
  --no-torch           skip the PyTorch reference
  --no-loader          skip the ImageNet input-pipeline measurement (JPEG decode + crop, no training)
  --json               print one JSON object instead of a table
  --browser            also measure in Chromium (Playwright, a Vite dev server started here): each browser
                       backend in a fresh Web Worker of the cross-origin-isolated bench page
                       (src/bench/index.html); needs Chromium at $CHROMIUM_PATH or /usr/bin/chromium
  --browser-only       only the browser measurements (no Node backends, PyTorch or input pipeline)
  --browser-backends LIST  browser backends (default webgpu,wasm,webgl,cpu; cpu runs at --cpu-n)
  --browser-wasm-threads N wasm XNNPACK threads in the browser (default: one per logical core;
                       "tfjs": tfjs's own choice, half the logical cores)
  --browser-timeout S  seconds one browser backend may take before it is stopped and reported as an
                       error (default 1200; webgpu on a software adapter compiles shaders for 10-25 s)
  --kernels KIND       project (default): the kernels and gradients SimCLR Lab registers; stock: tfjs's
                       own, as shipped (the "before" figures; kernels tfjs lacks, such as wasm's
                       Conv2DBackpropFilter, stay the project's and are named in the notes)
  --kernel-layers      also time every Conv2DBackpropFilter variant (stock, registered, tap-gemm,
                       forward-conv) on each ResNet-18 conv shape at 2N views, per backend
  --kernel-layers-only the per-layer timings without the training step`;

interface BenchOptions extends StepBenchSettings {
  backends: string[] | null;
  torchThreads: number[];
  torch: boolean;
  loader: boolean;
  json: boolean;
  /** Run the bench page in Chromium too ('also'), instead of the Node backends ('only'), or not. */
  browser: 'no' | 'also' | 'only';
  browserBackends: string[];
  browserWasmThreads: BrowserBenchOptions['wasmThreads'];
  browserTimeout: number;
  kernels: KernelChoice;
  kernelLayers: boolean | 'only';
}

export interface BackendResult extends BackendRunResult {
  /** 'node', or 'browser (Chromium <version>)' for `--browser` results (a Web Worker of the bench page). */
  environment: string;
  /** PyTorch images/s divided by this backend's (same width, N), at each measured thread count. */
  pytorchSpeedup: Record<string, number> | null;
}

export interface TorchRun {
  threads: number;
  imagesPerSecond: number | null;
  imagesPerSecondBest: number | null;
  stepMsMedian: number | null;
  error: string | null;
}

export interface TorchReference {
  implementation: 'pytorch';
  torch: string | null;
  python: string;
  device: 'cpu';
  width: number;
  n: number;
  warmup: number;
  steps: number;
  /** Headline figure: the run with the most threads. */
  threads: number;
  imagesPerSecond: number | null;
  stepMsMedian: number | null;
  runs: TorchRun[];
}

export interface BenchReport {
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    os: string;
    node: string;
    tfjs: string;
    /** 1/5/15-minute load averages when the run ended: other work on the machine skews the figures. */
    loadAverage: number[];
  };
  date: string;
  results: BackendResult[];
  reference: TorchReference | null;
  /** The server's ImageNet input pipeline alone (synthetic 500×375 JPEGs → 224 px), or null if skipped. */
  inputPipeline: LoaderBenchResult | null;
  notes: string[];
}

const browserBackendDefault = ['webgpu', 'wasm', 'webgl', 'cpu'];

export function parseBenchArgs(argv: readonly string[]): BenchOptions & { help: boolean } {
  const values = parseCommandLine(argv, {
    backends: { type: 'string' },
    width: { type: 'string', default: '0.25' },
    n: { type: 'string', default: '64' },
    'cpu-n': { type: 'string', default: '4' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    model: { type: 'string', default: 'simclr' },
    'torch-threads': { type: 'string' },
    'no-torch': { type: 'boolean' },
    'no-loader': { type: 'boolean' },
    json: { type: 'boolean' },
    browser: { type: 'boolean' },
    'browser-only': { type: 'boolean' },
    'browser-backends': { type: 'string' },
    'browser-wasm-threads': { type: 'string' },
    'browser-timeout': { type: 'string', default: '1200' },
    kernels: { type: 'string', default: 'project' },
    'kernel-layers': { type: 'boolean' },
    'kernel-layers-only': { type: 'boolean' },
  });
  const kernels = parseChoiceFlag('--kernels', values.kernels, ['project', 'stock']);
  const model = parseChoiceFlag('--model', values.model, ['simclr', 'torch-like']);
  const cores = os.cpus().length;
  const torchThreads = (values['torch-threads'] ?? [...new Set([1, cores])].join(','))
    .split(',')
    .map((t) => parseIntegerFlag('--torch-threads', t.trim(), { min: 1 }));
  const n = parseIntegerFlag('--n', values.n, { min: 1 });
  const cpuN = parseIntegerFlag('--cpu-n', values['cpu-n'], { min: 0 });
  const browserBackends = (values['browser-backends'] ?? browserBackendDefault.join(','))
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b);
  const unknownBrowser = browserBackends.filter((b) => !browserBackendDefault.includes(b));
  if (unknownBrowser.length > 0 || browserBackends.length === 0) {
    throw new CommandLineError(
      `--browser-backends must list some of ${browserBackendDefault.join(', ')}, got '${values['browser-backends']}'`,
    );
  }
  const threadsFlag = values['browser-wasm-threads'];
  const browserWasmThreads =
    threadsFlag === undefined
      ? null
      : threadsFlag === 'tfjs'
        ? 'tfjs'
        : parseIntegerFlag('--browser-wasm-threads', threadsFlag, { min: 1 });
  const browserFlag = (['browser-backends', 'browser-wasm-threads'] as const).find((flag) => values[flag] !== undefined);
  if (!values.browser && !values['browser-only'] && browserFlag !== undefined) {
    throw new CommandLineError(`--${browserFlag} needs --browser or --browser-only`);
  }
  return {
    backends: values.backends
      ? values.backends
          .split(',')
          .map((b) => b.trim())
          .filter((b) => b)
      : null,
    width: parseNumberFlag('--width', values.width, { min: 0.001 }),
    n,
    cpuN: cpuN === 0 ? n : cpuN,
    steps: parseIntegerFlag('--steps', values.steps, { min: 1 }),
    warmup: parseIntegerFlag('--warmup', values.warmup, { min: 0 }),
    model,
    torchThreads,
    torch: !values['no-torch'],
    loader: !values['no-loader'],
    json: values.json,
    browser: values['browser-only'] ? 'only' : values.browser ? 'also' : 'no',
    browserBackends,
    browserWasmThreads,
    browserTimeout: parseNumberFlag('--browser-timeout', values['browser-timeout'], { min: 1 }),
    kernels,
    kernelLayers: values['kernel-layers-only'] ? 'only' : values['kernel-layers'],
    help: values.help,
  };
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function benchBackend(backend: string, options: BenchOptions): Promise<BackendResult> {
  const n = backend === 'cpu' ? options.cpuN : options.n;
  const result: BackendResult = {
    ...unmeasuredResult({ backend, width: options.width, n, warmup: options.warmup, steps: options.steps, kernels: options.kernels }),
    environment: 'node',
    pytorchSpeedup: null,
  };
  try {
    const selected = await selectNodeBackend(backend);
    result.backend = selected.name;
    result.detail = selected.detail;
    result.notices.push(...selected.notices, ...installKernels(selected.name, options.kernels));
    if (backend === 'cpu' && n !== options.n) {
      result.notices.push(`cpu measured at N=${n} (--cpu-n), not ${options.n}: the cpu backend is ~50x slower than wasm`);
    }
    log(`${backend}: ${result.detail}; ${options.model} ResNet-18 w=${options.width}, N=${n} (${2 * n} views)`);
    await benchOnCurrentBackend({ ...options, n }, result, (m) => log(`  ${m}`));
  } catch (error) {
    result.error = (error as Error).message;
  }
  return result;
}

function repositoryRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** A python3 that can import torch: $SIMCLR_PYTHON, python3 on PATH, then Debian's /usr/bin/python3. */
function findTorchPython(): { python: string; torch: string } | null {
  const candidates = [process.env.SIMCLR_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const python of [...new Set(candidates)]) {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return { python, torch: probe.stdout.trim() };
  }
  return null;
}

function runTorchReference(options: BenchOptions, notes: string[]): TorchReference | null {
  const script = path.join(repositoryRoot(), '..', 'shared', 'gpu', 'reference_simclr_step.py');
  if (!existsSync(script)) {
    notes.push(`PyTorch reference skipped: ${script} not found`);
    return null;
  }
  const found = findTorchPython();
  if (found === null) {
    notes.push('PyTorch reference skipped: no python3 with torch (apt-get install python3-torch, or set SIMCLR_PYTHON)');
    return null;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'simclr-bench-'));
  const runs: TorchRun[] = [];
  try {
    for (const threads of options.torchThreads) {
      log(`pytorch (${found.python}, torch ${found.torch}, cpu, ${threads} thread(s)): w=${options.width}, N=${options.n}`);
      const out = path.join(dir, `torch-${threads}.json`);
      const run = spawnSync(
        found.python,
        [
          script,
          '--device',
          'cpu',
          '--modes',
          'fp32',
          '--configs',
          `${options.width}:${options.n}`,
          '--warmup',
          String(options.warmup),
          '--steps',
          String(options.steps),
          '--out',
          out,
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
        },
      );
      const record = existsSync(out)
        ? (
            JSON.parse(readFileSync(out, 'utf8')) as {
              runs?: { images_per_s?: number; ms_per_step_median?: number; ms_per_step_min?: number; status?: string }[];
            }
          ).runs?.[0]
        : undefined;
      const ok = run.status === 0 && record?.images_per_s !== undefined;
      runs.push({
        threads,
        imagesPerSecond: ok ? record!.images_per_s! : null,
        imagesPerSecondBest: ok && record!.ms_per_step_min ? (2 * options.n) / (record!.ms_per_step_min / 1000) : null,
        stepMsMedian: ok ? (record!.ms_per_step_median ?? null) : null,
        error: ok ? null : `${record?.status ?? 'failed'}: ${(run.stderr ?? '').trim().split('\n').slice(-1)[0] ?? ''}`,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const headline = [...runs].sort((a, b) => b.threads - a.threads)[0];
  return {
    implementation: 'pytorch',
    torch: found.torch,
    python: found.python,
    device: 'cpu',
    width: options.width,
    n: options.n,
    warmup: options.warmup,
    steps: options.steps,
    threads: headline.threads,
    imagesPerSecond: headline.imagesPerSecond,
    stepMsMedian: headline.stepMsMedian,
    runs,
  };
}

function machineInfo(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function where(r: BackendResult): string {
  return r.environment === 'node' ? 'node' : 'browser';
}

/** A browser worker's result in the Node report's shape (exported for tests). */
export function fromBrowserResult(r: BrowserBenchResult, browser: string): BackendResult {
  return {
    backend: r.backend,
    environment: `browser (${browser})`,
    detail: r.detail,
    model: r.model,
    width: r.width,
    n: r.n,
    views: r.views,
    warmup: r.warmup,
    steps: r.steps,
    imagesPerSecond: r.imagesPerSecond,
    imagesPerSecondBest: r.imagesPerSecondBest,
    stepMsMedian: r.stepMsMedian,
    stepMsMin: r.stepMsMin,
    stepMsMax: r.stepMsMax,
    firstLoss: r.firstLoss,
    lastLoss: r.lastLoss,
    tensorsStable: r.tensorsStable,
    parameterCount: r.parameterCount,
    firstStepMs: r.firstStepMs,
    pytorchSpeedup: null,
    memory: r.memory,
    kernels: r.kernels,
    filterGradientLayers: r.filterGradientLayers,
    notices: [
      ...(r.firstStepMs !== null
        ? [`first step ${Math.round(r.firstStepMs)} ms (one-time setup included: shader compilation on GPU backends)`]
        : []),
      ...r.notices,
    ],
    error: r.error,
  };
}

function formatTable(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; node ${m.node}, tfjs ${m.tfjs}; ` +
      `load average ${m.loadAverage.join(' ')}`,
    '',
    'backend      where     model        width    N   views   images/s  (best)   median ms   loss first→last   vs PyTorch (median)',
  ];
  for (const r of report.results) {
    if (r.error !== null) {
      lines.push(`${r.backend.padEnd(12)} ${where(r).padEnd(9)} error: ${r.error}`);
      continue;
    }
    if (r.imagesPerSecond === null) {
      lines.push(`${r.backend.padEnd(12)} ${where(r).padEnd(9)} (no training step: --kernel-layers-only)`);
      continue;
    }
    const speedup =
      r.pytorchSpeedup === null
        ? '—'
        : Object.entries(r.pytorchSpeedup)
            .map(([t, x]) => `${x >= 1 ? `${x.toFixed(1)}x slower` : `${(1 / x).toFixed(1)}x faster`} (${t})`)
            .join(', ');
    lines.push(
      [
        r.backend.padEnd(12),
        where(r).padEnd(9),
        (r.model ?? '').padEnd(11),
        String(r.width).padStart(6),
        String(r.n).padStart(4),
        String(r.views).padStart(7),
        r.imagesPerSecond!.toFixed(1).padStart(10),
        `(${r.imagesPerSecondBest!.toFixed(1)})`.padStart(8),
        r.stepMsMedian!.toFixed(0).padStart(11),
        `${r.firstLoss!.toFixed(3)}→${r.lastLoss!.toFixed(3)}`.padStart(17),
        `  ${speedup}${r.kernels === 'stock' ? ' [stock tfjs kernels]' : ''}`,
      ].join(' '),
    );
  }
  if (report.reference !== null) {
    for (const run of report.reference.runs) {
      lines.push(
        [
          'pytorch-cpu'.padEnd(12),
          'python'.padEnd(9),
          `torch ${report.reference.torch}`.slice(0, 11).padEnd(11),
          String(report.reference.width).padStart(6),
          String(report.reference.n).padStart(4),
          String(2 * report.reference.n).padStart(7),
          (run.imagesPerSecond === null ? 'error' : run.imagesPerSecond.toFixed(1)).padStart(10),
          (run.imagesPerSecondBest === null ? '' : `(${run.imagesPerSecondBest.toFixed(1)})`).padStart(8),
          (run.stepMsMedian === null ? '' : run.stepMsMedian.toFixed(0)).padStart(11),
          `   ${run.threads} thread(s)${run.error ? `: ${run.error}` : ''}`,
        ].join(' '),
      );
    }
  }
  const notes = [
    ...report.results.flatMap((r) => r.notices.map((n) => `${r.backend}${r.environment === 'node' ? '' : ' (browser)'}: ${n}`)),
    ...report.notes,
  ];
  for (const r of report.results) {
    if (r.memory?.backendBytes == null) continue;
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    const peak = r.memory.peakBytes;
    lines.push(
      `memory ${r.backend} (${where(r)}): ${mb(r.memory.liveBytes)} live tensors between steps` +
        (peak === null ? '' : `, ${mb(peak)} at the step's peak`) +
        `, ${mb(r.memory.backendBytes)} allocated on the GPU, pool included` +
        (peak === null ? '' : ` (${(r.memory.backendBytes / Math.max(1, peak)).toFixed(1)}x the peak)`),
    );
  }
  for (const r of report.results) {
    if (r.filterGradientLayers === null) continue;
    lines.push(
      '',
      `Conv2DBackpropFilter per layer, ${r.backend} (${where(r)}), batch ${2 * r.n}: median ms (relative difference from the first variant)`,
    );
    for (const layer of r.filterGradientLayers) {
      const cells = layer.timings.map(
        (t) =>
          `${t.variant} ${
            t.msMedian === null
              ? `— (${t.error})`
              : `${t.msMedian.toFixed(1)}${t.relativeDifference === null ? '' : ` (${t.relativeDifference.toExponential(0)})`}`
          }`,
      );
      lines.push(`  ${layer.layer.name.padEnd(24)} ${layer.gflop.toFixed(3).padStart(7)} GFLOP   ${cells.join(' · ')}`);
    }
  }
  if (report.inputPipeline !== null) {
    const p = report.inputPipeline;
    lines.push(
      '',
      `input pipeline (JPEG decode + ${p.trainCrop} crop to ${p.imageSize} px, ${p.workers} worker threads, ${p.source}): ${p.imagesPerSecond.toFixed(1)} images/s`,
    );
  }
  if (notes.length > 0) lines.push('', ...notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}

async function browserResults(options: BenchOptions, notes: string[]): Promise<BackendResult[]> {
  // Loaded only when asked for: Playwright and Vite are heavy, and the Node bench needs neither.
  const { runBrowserBench } = await import('./browserBench');
  const run = await runBrowserBench(
    {
      backends: options.browserBackends,
      width: options.width,
      n: options.n,
      cpuN: options.cpuN,
      steps: options.steps,
      warmup: options.warmup,
      model: options.model,
      wasmThreads: options.browserWasmThreads,
      timeoutSeconds: options.browserTimeout,
      kernels: options.kernels,
      kernelLayers: options.kernelLayers,
    },
    log,
  );
  notes.push(`browser: ${run.browser}, headless, one fresh Web Worker per backend, crossOriginIsolated ${run.crossOriginIsolated}`);
  const wasm = run.results.find((r) => r.backend === 'wasm' && r.error === null);
  if (wasm) {
    notes.push(
      `browser wasm ran with ${wasm.wasmThreads} XNNPACK thread(s)` +
        (wasm.wasmThreads !== null && wasm.wasmThreads > 1 ? ' (threaded binary: the page is cross-origin isolated)' : ''),
    );
  }
  return run.results.map((r) => fromBrowserResult(r, run.browser));
}

export async function runBench(argv: string[]): Promise<BenchReport | null> {
  const options = parseBenchArgs(argv);
  if (options.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return null;
  }
  const notes: string[] = [];
  const results: BackendResult[] = [];
  if (options.browser !== 'only') {
    const backends = options.backends ?? (await availableNodeBackends());
    for (const backend of backends) results.push(await benchBackend(backend, options));
  }
  if (options.browser !== 'no') results.push(...(await browserResults(options, notes)));
  const reference = options.torch && options.browser !== 'only' ? runTorchReference(options, notes) : null;
  if (reference !== null) {
    for (const r of results) {
      if (r.imagesPerSecond === null || r.n !== reference.n) continue;
      r.pytorchSpeedup = Object.fromEntries(
        reference.runs
          .filter((run) => run.imagesPerSecond !== null)
          .map((run) => [`${run.threads} thread${run.threads === 1 ? '' : 's'}`, run.imagesPerSecond! / r.imagesPerSecond!]),
      );
    }
  }
  if (results.some((r) => r.backend === 'wasm' && r.environment === 'node')) {
    notes.push('wasm in Node is single-threaded (tfjs disables its threaded build outside cross-origin-isolated browsers)');
  }
  if (options.steps < 10) notes.push(`only ${options.steps} timed steps: the reference definition asks for at least 10`);
  let inputPipeline: LoaderBenchResult | null = null;
  if (options.loader && options.browser !== 'only') {
    try {
      log('input pipeline: decoding synthetic ImageNet-sized JPEGs in the worker pool…');
      // Loaded only here: it needs sharp (native), which a bundled GPU-machine bench leaves out.
      const { benchImageLoader } = await import('./imagenetInputBench');
      inputPipeline = await benchImageLoader({ batches: 4 });
    } catch (error) {
      notes.push(`input-pipeline bench failed: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const report: BenchReport = { machine: machineInfo(), date: new Date().toISOString(), results, reference, inputPipeline, notes };
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `${formatTable(report)}\n`);
  return report;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  // A backend that failed is in the report (exit 1); a bad flag is exit 2 with the usage.
  runCommand(
    async () => {
      const report = await runBench(process.argv.slice(2));
      return report?.results.some((r) => r.error !== null) ? 1 : 0;
    },
    { usage: BENCH_USAGE },
  );
}
