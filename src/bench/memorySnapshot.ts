import * as tf from '@tensorflow/tfjs';

/**
 * Bytes of tensors against what the backend holds for them. On GPU backends tfjs keeps freed
 * buffers in a pool for reuse; the speed issue's target is a pool no larger than twice the live
 * bytes (on an H200 tfjs 4.22 held 19.8 GB for 0.1 GB live). Live bytes after a step are mostly
 * weights, so the fair comparison is with the step's peak.
 */
export interface MemorySnapshot {
  /** Live tensor bytes between steps. */
  liveBytes: number;
  /** Most tensor bytes alive at once during one profiled step; null if not measured. */
  peakBytes: number | null;
  /** GPU bytes allocated by the backend, pool included (webgpu, webgl); null elsewhere. */
  backendBytes: number | null;
}

function backendBytes(): number | null {
  // tf.memory() adds backend-specific fields to MemoryInfo; these are the webgpu and webgl names.
  const info = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number; numBytesInGPUAllocated?: number };
  return info.numBytesAllocatedInGPU ?? info.numBytesInGPUAllocated ?? null;
}

/** Runs one more step under tf.profile for its peak bytes, then reads the backend's allocation. */
export async function memorySnapshot(step: () => Promise<unknown>): Promise<MemorySnapshot> {
  const profile = await tf.profile(async () => {
    await step();
  });
  return { liveBytes: tf.memory().numBytes, peakBytes: profile.peakBytes, backendBytes: backendBytes() };
}
