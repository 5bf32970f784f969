import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { createReferenceStep } from '../kernels/referenceStep';
import { registerTrainingKernels } from '../kernels';
import type { BackendProbeApi } from '../protocol/backendProbeApi';
// Importing backendSelection also points tfjs at the bundled wasm binaries (threaded one included).
import { describeAdapter, tryBackend } from '../browser/browserBackends';

/**
 * Auto's measuring worker: starts exactly one backend and times one training step of the run's
 * model on it. One fresh worker per backend, so backends never share memory or kernel state and a
 * backend that hangs can be stopped by terminating its worker.
 */
function message(error: unknown): string {
  if (error instanceof Error) return error.message;
  // tfjs's wasm init rejects with a plain {message} object.
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

const api: BackendProbeApi = {
  async start(name) {
    const started = await tryBackend(name);
    if (!started.ok) return { ok: false, adapter: null, software: false, reason: started.reason };
    try {
      registerTrainingKernels(name);
      const { adapter, software } = await describeAdapter(name);
      const detail = name === 'wasm' ? `${self.crossOriginIsolated ? 'threaded' : 'single-threaded'} wasm` : adapter;
      return { ok: true, adapter: detail, software, reason: null };
    } catch (error) {
      return { ok: false, adapter: null, software: false, reason: message(error) };
    }
  },

  async measure(spec, n) {
    const step = createReferenceStep({ widthMultiplier: spec.widthMultiplier, n, model: 'simclr', spec });
    try {
      let t0 = performance.now();
      const warmupLoss = await step.step();
      const warmupMs = performance.now() - t0;
      if (!Number.isFinite(warmupLoss)) throw new Error(`the step gave a non-finite loss (${warmupLoss})`);
      t0 = performance.now();
      await step.step();
      const stepMs = performance.now() - t0;
      return { imagesPerSecond: (2 * n) / (stepMs / 1000), stepMs, warmupMs };
    } finally {
      step.dispose();
      tf.disposeVariables();
    }
  },
};

Comlink.expose(api);
