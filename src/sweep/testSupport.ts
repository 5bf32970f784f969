import type { SweepSpecInput } from './spec';

/**
 * The sweep issue's example spec (random search, 24 trials, ASHA on the k-NN curve), valid as
 * written; spec.test.ts adds a range that clashes with its tied optimizer group.
 */
export const exampleSweepSpec = {
  name: 'temperature × batch size',
  base: { dataset: { name: 'cifar10', trainSize: 2000 }, pretrain: { epochs: 6 } },
  parameters: {
    'pretrain.temperature': { values: [0.1, 0.2, 0.5, 1.0] },
    'pretrain.batchSize': { values: [64, 128, 256] },
    'finetune.epochs': { min: 5, max: 40, type: 'int' },
    optimizer: {
      values: [
        { 'pretrain.optimizer': 'lars', 'pretrain.learningRate': 1.0 },
        { 'pretrain.optimizer': 'adam', 'pretrain.learningRate': 0.001 },
      ],
    },
  },
  method: 'random',
  trials: 24,
  objective: { metric: 'finetune.testAccuracy', goal: 'maximize' },
  earlyStopping: { type: 'asha', metric: 'pretrain.knnAccuracy', minEpochs: 1, reductionFactor: 3 },
} satisfies SweepSpecInput;
