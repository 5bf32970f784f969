import * as tf from '@tensorflow/tfjs';
import { cpuConv2dBackpropFilter } from './cpuConvGradients';
import { conv2dBackpropFilterByTapGemms } from './filterGradientByTaps';
import { registerTrainingGradients, restoreStockGradients } from './trainingGradients';
import { conv2dBackpropFilterViaForwardConv, conv2dBackpropInputViaForwardConv } from './wasmConvGradients';

export { registerTrainingGradients, restoreStockGradients } from './trainingGradients';

/**
 * Kernels tfjs 4.22 lacks or is too slow at for training conv nets, per backend:
 * - wasm: no Conv2DBackpropFilter at all; its Conv2DBackpropInput is a naive loop. Both are
 *   replaced by forward convs (XNNPack) over rearranged operands.
 * - cpu: the stock Conv2DBackpropFilter is an index-heavy loop (>90% of a training step); replaced
 *   by a loop over contiguous channel rows.
 * - webgpu, webgl: the stock Conv2DBackpropFilter runs one thread per filter element, each looping
 *   over the whole batch (85% of an H200's step time in ../shared/gpu/README.md); replaced by one
 *   split-K batched GEMM per filter tap (filterGradientByTaps.ts), which tfjs's tiled matmul runs
 *   with thousands of workgroups. Measured in Chromium on SwiftShader only (BENCHMARKS.md).
 * tensorflow (tfjs-node) keeps its kernels. For every backend, the gradients
 * of FusedBatchNorm, Mean and Sum are replaced by broadcasting ones (see trainingGradients.ts).
 */
const overridesByBackend: Record<string, (stock: StockLookup) => tf.KernelConfig[]> = {
  wasm: (stock) => [
    conv2dBackpropFilterViaForwardConv('wasm'),
    conv2dBackpropInputViaForwardConv('wasm', stock.required(tf.Conv2DBackpropInput)),
  ],
  cpu: () => [cpuConv2dBackpropFilter('cpu')],
  webgpu: () => [conv2dBackpropFilterByTapGemms('webgpu')],
  webgl: () => [conv2dBackpropFilterByTapGemms('webgl')],
};

interface StockLookup {
  required(kernelName: string): tf.KernelFunc;
}

/** Kernel configs that were registered before we replaced them, by `backend/kernel`. */
const stockKernels = new Map<string, tf.KernelConfig | null>();
const registeredBackends = new Set<string>();

/**
 * Registers the project's training kernels for `backendName` (idempotent; a no-op for backends
 * that need nothing). Returns the names of the kernels this backend now runs from this project.
 */
export function registerTrainingKernels(backendName: string): string[] {
  registerTrainingGradients();
  const makeOverrides = overridesByBackend[backendName];
  if (makeOverrides === undefined) return [];
  if (registeredBackends.has(backendName)) return projectKernelNames(backendName);
  const lookup: StockLookup = {
    required(kernelName) {
      const config = tf.getKernel(kernelName, backendName);
      if (config === undefined) {
        throw new Error(
          `Backend ${backendName} has no ${kernelName} kernel to fall back to; ` +
            `import its package (e.g. @tensorflow/tfjs-backend-${backendName}) before registering training kernels.`,
        );
      }
      return config.kernelFunc;
    },
  };
  const overrides = makeOverrides(lookup);
  for (const config of overrides) {
    const key = `${backendName}/${config.kernelName}`;
    const existing = tf.getKernel(config.kernelName, backendName) ?? null;
    if (!stockKernels.has(key)) stockKernels.set(key, existing);
    // Unregister first: registering over an existing kernel logs a warning on every start.
    if (existing !== null) tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
  }
  registeredBackends.add(backendName);
  return projectKernelNames(backendName);
}

/** Names of the kernels the project registered for `backendName` (empty before registration). */
export function projectKernelNames(backendName: string): string[] {
  if (!registeredBackends.has(backendName)) return [];
  const prefix = `${backendName}/`;
  return [...stockKernels.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
}

/**
 * The kernel tfjs itself registered for `kernelName` on `backendName` before the project replaced
 * it (null when tfjs has none, e.g. wasm's Conv2DBackpropFilter). For tests and comparisons.
 */
export function stockKernel(kernelName: string, backendName: string): tf.KernelConfig | null {
  const key = `${backendName}/${kernelName}`;
  if (stockKernels.has(key)) return stockKernels.get(key) ?? null;
  return tf.getKernel(kernelName, backendName) ?? null;
}

/**
 * Runs `backendName` on tfjs's kernels and gradients as shipped (the "before" of every speed
 * figure), for benchmarks and for checks that the project's kernels do not change the maths.
 * Kernels tfjs lacks altogether (wasm's Conv2DBackpropFilter) stay the project's: they are
 * returned so that callers can say so. `registerTrainingKernels` switches back.
 */
export function restoreStockKernels(backendName: string): { keptProjectKernels: string[] } {
  restoreStockGradients();
  const keptProjectKernels: string[] = [];
  if (!registeredBackends.has(backendName)) return { keptProjectKernels };
  for (const kernelName of projectKernelNames(backendName)) {
    const stock = stockKernels.get(`${backendName}/${kernelName}`) ?? null;
    if (stock === null) {
      keptProjectKernels.push(kernelName);
      continue;
    }
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(stock);
  }
  registeredBackends.delete(backendName);
  return { keptProjectKernels };
}
