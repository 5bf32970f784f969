import * as tf from '@tensorflow/tfjs';

/**
 * Kernels that compose other kernels of the same backend call them directly (no tf.* ops: those
 * would go through the engine, record on the gradient tape and allocate engine tensors). Every
 * intermediate TensorInfo must be released with `release`.
 */
export interface KernelCaller {
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs?: tf.NamedAttrMap): tf.TensorInfo;
  release(...infos: tf.TensorInfo[]): void;
}

export function kernelCaller(backendName: string, backend: tf.KernelBackend): KernelCaller {
  return {
    run(kernelName, inputs, attrs = {}) {
      const result = tf.getKernel(kernelName, backendName).kernelFunc({ inputs, attrs, backend });
      if (Array.isArray(result)) {
        throw new Error(`Kernel ${kernelName} returned several outputs where one was expected.`);
      }
      return result;
    },
    release(...infos) {
      for (const info of infos) backend.disposeData(info.dataId);
    },
  };
}

/** Runs `body` with a caller and releases the intermediates it listed even when it throws. */
export function withIntermediates<T>(caller: KernelCaller, body: (keep: (info: tf.TensorInfo) => tf.TensorInfo) => T): T {
  const intermediates: tf.TensorInfo[] = [];
  try {
    return body((info) => {
      intermediates.push(info);
      return info;
    });
  } finally {
    caller.release(...intermediates);
  }
}
