import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStageOptimizer } from './optimizerState';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createStageOptimizer', () => {
  it('takes the rate the stage sets before each step', () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'stageOptimizerTest/w');
    const optimizer = createStageOptimizer('sgd', { learningRate: 0.5, momentum: 0, weightDecay: 0 });
    const step = () => optimizer.minimize(() => tf.sum(w) as tf.Scalar, false, [w]);
    optimizer.learningRate = 0.1;
    step();
    expect(Array.from(w.dataSync())).toEqual([0.9, 1.9].map(Math.fround));
    // The schedule's 0 at the end of a stage: the weights stay where they are.
    optimizer.learningRate = 0;
    step();
    expect(Array.from(w.dataSync())).toEqual([0.9, 1.9].map(Math.fround));
    optimizer.dispose();
    w.dispose();
  });
});
