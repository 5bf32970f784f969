import * as Comlink from 'comlink';
import type { ModelSpec } from '../core/model/index';
import type { BackendName } from '../protocol/labWorkerApi';
import type { BackendProbeApi, ProbeStart, ProbeTiming } from '../protocol/backendProbeApi';
import {
  type BackendMeasurement,
  type BackendReport,
  chooseFastest,
  measureOrder,
  needsSoftwareFallback,
  timeBudgetMs,
} from '../browser/backendRanking';

/**
 * The page's side of "auto": measures one training step of the run's model on each backend, each
 * in a fresh worker that is terminated afterwards (or when it runs out of time), and picks the
 * fastest (backendRanking.ts). Runs one backend at a time so they never compete for the cores.
 */
export interface MeasureOptions {
  spec: ModelSpec;
  signature: string;
  /** Images per measured step (the step sees 2n views). */
  n: number;
  /** Longest any one backend may take (start + warm-up + timed step). */
  capMs?: number;
  onProgress?: (message: string) => void;
  /** Set when a newer request replaced this one: stop measuring. */
  cancelled?: () => boolean;
}

// A backend whose start + warm-up + timed step takes over twice the best one's cannot be faster
// per step (warm-up and step cost about the same on CPU backends), so it is stopped there.
const limits = { capMs: 25_000, floorMs: 3_000, factor: 2 };

class TimedOut extends Error {}

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut()), Math.max(0, deadline - performance.now()));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

class Superseded extends Error {}

/** Rejects once `cancelled()` turns true (polled), so a superseded measurement stops at once. */
function whenCancelled(cancelled: (() => boolean) | undefined, done: Promise<unknown>): Promise<never> {
  return new Promise((_, reject) => {
    if (!cancelled) return;
    const timer = setInterval(() => {
      if (cancelled()) {
        clearInterval(timer);
        reject(new Superseded('superseded'));
      }
    }, 250);
    void done.finally(() => clearInterval(timer));
  });
}

function workerFailure(worker: Worker): Promise<never> {
  return new Promise((_, reject) => {
    worker.addEventListener('error', (event) =>
      reject(new Error(`the measuring worker failed: ${event.message || 'it could not be loaded'}`)),
    );
  });
}

async function probeOne(
  name: BackendName,
  options: MeasureOptions,
  budgetMs: number,
  measureSoftware: boolean,
): Promise<{ result: BackendMeasurement; totalMs: number }> {
  const started = performance.now();
  const deadline = started + budgetMs;
  const worker = new Worker(new URL('../worker/backendProbeWorker.ts', import.meta.url), { type: 'module', name: `measure-${name}` });
  const api = Comlink.wrap<BackendProbeApi>(worker);
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const failed = Promise.race([workerFailure(worker), whenCancelled(options.cancelled, settled)]);
  // Both only ever reject; a probe that ends first must not leave them unhandled.
  failed.catch(() => undefined);
  const base: BackendMeasurement = { name, outcome: 'failed', adapter: null, software: false, imagesPerSecond: null, reason: null };
  try {
    const start: ProbeStart = await withDeadline(Promise.race([api.start(name), failed]), deadline);
    if (!start.ok) return { result: { ...base, reason: start.reason }, totalMs: performance.now() - started };
    const info = { ...base, adapter: start.adapter, software: start.software };
    if (start.software && !measureSoftware) {
      return {
        result: { ...info, outcome: 'skipped', reason: 'software GPU adapter: measured only if nothing else can train' },
        totalMs: 0,
      };
    }
    options.onProgress?.(`Measuring ${name}${start.adapter ? ` (${start.adapter})` : ''}…`);
    const timing: ProbeTiming = await withDeadline(Promise.race([api.measure(options.spec, options.n), failed]), deadline);
    return { result: { ...info, outcome: 'measured', imagesPerSecond: timing.imagesPerSecond }, totalMs: performance.now() - started };
  } catch (error) {
    if (error instanceof Superseded) throw error;
    if (error instanceof TimedOut) {
      return {
        result: { ...base, outcome: 'timeout', reason: `no step within ${(budgetMs / 1000).toFixed(0)} s` },
        totalMs: performance.now() - started,
      };
    }
    return { result: { ...base, reason: error instanceof Error ? error.message : String(error) }, totalMs: performance.now() - started };
  } finally {
    settle();
    api[Comlink.releaseProxy]();
    // Frees the backend's memory (GPU buffers, wasm heap and its threads) before the next one.
    worker.terminate();
  }
}

/** Measures every backend (software GPUs only if nothing else trains) and picks the fastest. */
export async function measureBackends(options: MeasureOptions): Promise<BackendReport> {
  const cap = { ...limits, capMs: options.capMs ?? limits.capMs };
  const measurements: BackendMeasurement[] = [];
  let bestTotalMs: number | null = null;
  const run = async (name: BackendName, measureSoftware: boolean) => {
    if (options.cancelled?.()) throw new Error('superseded');
    const { result, totalMs } = await probeOne(name, options, timeBudgetMs(bestTotalMs, cap), measureSoftware);
    if (result.outcome === 'measured' && !result.software) bestTotalMs = bestTotalMs === null ? totalMs : Math.min(bestTotalMs, totalMs);
    const index = measurements.findIndex((m) => m.name === name);
    if (index >= 0) measurements[index] = result;
    else measurements.push(result);
  };
  for (const name of measureOrder) await run(name, false);
  if (needsSoftwareFallback(measurements)) {
    for (const m of measurements.filter((x) => x.outcome === 'skipped')) await run(m.name, true);
  }
  const { chosen, why } = chooseFastest(measurements);
  return { signature: options.signature, measuredAt: Date.now(), views: 2 * options.n, measurements, chosen, why };
}
