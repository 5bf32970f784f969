import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * Test-only helpers: start tfjs's wasm backend from node_modules (tests run in Node, where the
 * .wasm files are read from disk) and run single kernels outside the engine's tape.
 */
export async function startWasmBackendForTests(): Promise<void> {
  const dist = new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url);
  setWasmPaths(decodeURIComponent(dist.pathname));
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to start');
}

/** Runs a kernel function on the current backend and returns its output as an engine tensor. */
export function runKernelFunc(kernelFunc: tf.KernelFunc, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap): tf.Tensor {
  const out = kernelFunc({ inputs, attrs, backend: tf.backend() });
  if (Array.isArray(out)) throw new Error('expected one output');
  return tf.engine().makeTensorFromTensorInfo(out);
}

export { relativeMaxDifference } from '../kernels/compare';
