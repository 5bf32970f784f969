import * as tf from '@tensorflow/tfjs';
import type { OptimizerName } from '../config';
import { type SlotOptimizer, createOptimizer, weightDecayExclusions } from '../optim';
import type { TensorRecord } from '../types';

/** What the optimiser state helpers need of a model: its variables and their readable paths. */
export interface NamedModel {
  trainableVariables(): tf.Variable[];
  pathOf(variable: tf.Variable): string;
}

/**
 * A stage's optimiser with the official exclusions for its kind (see `weightDecayExclusions`). Its
 * `learningRate` is a plain field the stage sets before every step from the schedule.
 */
export function createStageOptimizer(
  name: OptimizerName,
  options: { learningRate: number; momentum: number; weightDecay: number },
): SlotOptimizer {
  return createOptimizer(name, { ...options, ...weightDecayExclusions(name) });
}

/**
 * tfjs variable names carry a per-instance prefix (`simclr12/encoder/...`) that a fresh model in a
 * resumed run will not share, so optimiser slots are stored by the variable's readable path.
 */
function variablePrefix(model: NamedModel): string {
  const variable = model.trainableVariables()[0];
  return variable ? variable.name.slice(0, variable.name.length - model.pathOf(variable).length) : '';
}

export async function optimizerToRecord(optimizer: tf.Optimizer, model: NamedModel): Promise<Record<string, TensorRecord>> {
  const prefix = variablePrefix(model);
  const record: Record<string, TensorRecord> = {};
  for (const { name, tensor } of await optimizer.getWeights()) {
    const key = prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
    record[key] = { shape: tensor.shape.slice(), data: Float32Array.from(await tensor.data()) };
    // Slots come back as the optimiser's own variables; anything else (the step count) is a fresh copy.
    if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
  return record;
}

export async function restoreOptimizer(optimizer: tf.Optimizer, record: Record<string, TensorRecord>, model: NamedModel): Promise<void> {
  const prefix = variablePrefix(model);
  const named = Object.entries(record).map(([key, { shape, data }]) => ({
    name: key.includes('/') ? `${prefix}${key}` : key,
    tensor: tf.tensor(data, shape),
  }));
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
}
