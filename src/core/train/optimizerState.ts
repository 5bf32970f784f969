import * as tf from '@tensorflow/tfjs';
import type { OptimizerName } from '../config';
import { createOptimizer, isExcludedFromDecay } from '../optim';
import type { TensorRecord } from '../types';

export function createStageOptimizer(
  name: OptimizerName,
  options: { learningRate: number; momentum: number; weightDecay: number },
): tf.Optimizer {
  return createOptimizer(name, { ...options, excludeFromLayerAdaptation: isExcludedFromDecay });
}

export async function optimizerToRecord(optimizer: tf.Optimizer): Promise<Record<string, TensorRecord>> {
  const record: Record<string, TensorRecord> = {};
  const weights = await optimizer.getWeights();
  for (const { name, tensor } of weights) {
    record[name] = { shape: tensor.shape.slice(), data: Float32Array.from(await tensor.data()) };
  }
  return record;
}

export async function restoreOptimizer(optimizer: tf.Optimizer, record: Record<string, TensorRecord>): Promise<void> {
  const named = Object.entries(record).map(([name, { shape, data }]) => ({ name, tensor: tf.tensor(data, shape) }));
  await optimizer.setWeights(named);
}
