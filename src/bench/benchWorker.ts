import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { ReferenceModelKind } from '../kernels/referenceStep';
import { benchOnCurrentBackend, unmeasuredResult, installKernels, type BackendRunResult } from './measureSteps';
import { backendNames, type BackendName } from '../protocol/labWorkerApi';
// Importing backendSelection also points tfjs at the bundled wasm binaries (threaded one included).
import { tryBackend, webglRendererName, webgpuAdapterName } from '../browser/browserBackends';

/**
 * The browser half of `npm run bench -- --browser`: the reference SimCLR step
 * (src/kernels/referenceStep.ts) on exactly one backend, in a worker like the lab's. The page
 * starts one worker per backend, so backends never share memory, compiled shaders or kernel state.
 */
export interface BrowserBenchOptions {
  backend: BackendName;
  widthMultiplier: number;
  n: number;
  steps: number;
  warmup: number;
  model: ReferenceModelKind;
  /** wasm only: XNNPACK threads to start; absent: tfjs's own choice (half the logical cores, at most 8). */
  threads?: number;
  /** 'stock': tfjs's kernels and gradients as shipped (the "before"); default: the project's. */
  kernels?: 'project' | 'stock';
  /** Also time the Conv2DBackpropFilter variants on each ResNet-18 conv shape ('only': just those). */
  filterGradientLayers?: boolean | 'only';
}

export interface BrowserBenchResult extends BackendRunResult {
  /** wasm: XNNPACK threads tfjs actually started (1 = the single-threaded binary or one thread). */
  wasmThreads: number | null;
  wasmSimd: boolean | null;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
}

export interface BenchWorkerApi {
  run(options: BrowserBenchOptions, onProgress?: (message: string) => void): Promise<BrowserBenchResult>;
}

function checkOptions(options: BrowserBenchOptions): void {
  const positiveInteger = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${value}`);
  };
  if (!(backendNames as readonly string[]).includes(options.backend)) {
    throw new Error(`unknown backend '${options.backend}' (browser backends: ${backendNames.join(', ')})`);
  }
  if (!(Number.isFinite(options.widthMultiplier) && options.widthMultiplier > 0)) {
    throw new Error(`widthMultiplier must be a number > 0, got ${options.widthMultiplier}`);
  }
  positiveInteger('n', options.n, 1);
  positiveInteger('steps', options.steps, 1);
  positiveInteger('warmup', options.warmup, 0);
  if (options.threads !== undefined) positiveInteger('threads', options.threads, 1);
  if (options.model !== 'simclr' && options.model !== 'torch-like') {
    throw new Error(`model must be simclr or torch-like, got '${String(options.model)}'`);
  }
}

async function describeBackend(name: BackendName, result: BrowserBenchResult): Promise<string | null> {
  if (name === 'webgpu') return webgpuAdapterName();
  if (name === 'webgl') return webglRendererName();
  if (name === 'wasm') {
    result.wasmSimd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    result.wasmThreads = getThreadsCount();
    const multithread = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
    return (
      `${result.wasmSimd ? 'SIMD' : 'no SIMD'}, ${result.wasmThreads} thread${result.wasmThreads === 1 ? '' : 's'} ` +
      `(${multithread ? 'threaded binary' : 'single-threaded binary'}), crossOriginIsolated ${self.crossOriginIsolated}`
    );
  }
  return 'plain JavaScript';
}

const api: BenchWorkerApi = {
  async run(options, onProgress) {
    const progress = (message: string) => {
      // A page that went away must not fail the measurement.
      void Promise.resolve(onProgress?.(message)).catch(() => undefined);
    };
    const n = Number(options?.n);
    const result: BrowserBenchResult = {
      ...unmeasuredResult({
        backend: String(options?.backend),
        width: Number(options?.widthMultiplier),
        n,
        warmup: Number(options?.warmup),
        steps: Number(options?.steps),
        kernels: options?.kernels === 'stock' ? 'stock' : 'project',
      }),
      wasmThreads: null,
      wasmSimd: null,
      crossOriginIsolated: self.crossOriginIsolated,
      hardwareConcurrency: self.navigator.hardwareConcurrency,
    };
    try {
      checkOptions(options);
      if (options.backend === 'wasm' && options.threads !== undefined) requestWasmThreads(options.threads);
      const started = await tryBackend(options.backend);
      if (!started.ok) throw new Error(`${options.backend} could not start: ${started.reason}`);
      // The same kernels the lab registers after picking a backend (wasm cannot train without them).
      result.notices.push(...installKernels(options.backend, result.kernels));
      result.detail = await describeBackend(options.backend, result);
      if (options.backend === 'wasm' && options.threads !== undefined && result.wasmThreads !== options.threads) {
        result.notices.push(`asked for ${options.threads} wasm threads, tfjs started ${result.wasmThreads}`);
      }
      progress(`${options.backend}: ${result.detail ?? ''}; ${options.model} ResNet-18 w=${options.widthMultiplier}, N=${options.n}`);
      await benchOnCurrentBackend(
        { ...options, width: options.widthMultiplier, kernelLayers: options.filterGradientLayers ?? false },
        result,
        (m) => progress(`${options.backend}: ${m}`),
      );
    } catch (error) {
      result.error = message(error);
    }
    return result;
  },
};

/**
 * Must run before tf.setBackend('wasm'): tfjs reads both when it creates the backend. Its C++
 * side caps XNNPACK's pool at navigator.hardwareConcurrency / 2 (it assumes two hyperthreads per
 * core), so on a 2-core machine it never starts a second thread whatever setThreadsCount says.
 * This worker exists only to measure, so it shows tfjs a core count that lets the request through.
 */
function requestWasmThreads(threads: number): void {
  if (self.navigator.hardwareConcurrency < 2 * threads) {
    Object.defineProperty(self.navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  }
  setThreadsCount(threads);
}

function message(error: unknown): string {
  if (error instanceof Error) return error.message;
  // tfjs's wasm init rejects with a plain {message} object.
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

Comlink.expose(api);
