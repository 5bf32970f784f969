import * as tf from '@tensorflow/tfjs';
import { ntXentLoss } from '../core/loss';
import { SgdMomentum } from '../core/optim';
import { type ModelSpec, SimclrModel, stageChannels } from '../core/model/index';

/**
 * The benchmark's reference step (../shared/gpu/README.md): CIFAR ResNet-18 with channels × w, BN +
 * ReLU, global average pool, SimCLRv2 3-layer projection head, NT-Xent τ = 0.5 over the 2N views of
 * a fixed random 32×32×3 batch, SGD with momentum 0.9.
 *
 * Two networks can run it:
 * - 'simclr': the product's SimclrModel (what a pretraining run trains; its head's last layer has BN
 *   without bias, as SimCLRv2).
 * - 'torch-like': a private copy of reference_simclr_step.py's network (last head layer a biased
 *   linear layer, no BN; kaiming fan-in init, BN gamma 1), for a like-for-like comparison with
 *   PyTorch and as a fallback while the product model cannot take a training step.
 */
export type ReferenceModelKind = 'simclr' | 'torch-like';

export interface ReferenceStepOptions {
  widthMultiplier: number;
  /** Images per step; the step encodes 2N views. */
  n: number;
  model: ReferenceModelKind;
  seed?: number;
  learningRate?: number;
  /**
   * 'simclr' only: the network to step instead of the reference one (ResNet-18, 3-layer head to 128,
   * 32 px), e.g. the model a run is about to train; `widthMultiplier` is then ignored.
   */
  spec?: ModelSpec;
}

export interface ReferenceStep {
  readonly model: ReferenceModelKind;
  readonly parameterCount: number;
  /** One optimizer step; resolves with the loss (awaiting it is part of the step). */
  step(): Promise<number>;
  dispose(): void;
}

const TEMPERATURE = 0.5;
const IMAGE_SIZE = 32;
const PROJECTION_DIM = 128;

export function createReferenceStep(options: ReferenceStepOptions): ReferenceStep {
  const seed = options.seed ?? 0;
  const network =
    options.model === 'simclr'
      ? simclrNetwork(options.spec ?? referenceSpec(options.widthMultiplier), seed)
      : torchLikeNetwork(options.widthMultiplier, seed);
  const size = options.model === 'simclr' && options.spec ? options.spec.imageSize : IMAGE_SIZE;
  const images = tf.randomUniform([2 * options.n, size, size, 3], 0, 1, 'float32', seed + 1) as tf.Tensor4D;
  // The engine's own SGD-momentum (Nesterov, as the official `momentum` optimiser), no weight decay.
  // (tf.train.momentum would also do, but its dispose() leaks its learning-rate scalar in tfjs 4.22.)
  const optimizer = new SgdMomentum({ learningRate: options.learningRate ?? 0.05, momentum: 0.9, weightDecay: 0 });
  const n = options.n;
  return {
    model: options.model,
    parameterCount: network.variables.reduce((sum, v) => sum + v.size, 0),
    async step() {
      const loss = optimizer.minimize(
        () => {
          const z = network.forward(images);
          return ntXentLoss(tf.slice(z, [0, 0], [n, -1]), tf.slice(z, [n, 0], [n, -1]), TEMPERATURE);
        },
        true,
        network.variables,
      );
      if (loss === null) throw new Error('the optimizer returned no loss');
      const value = (await loss.data())[0];
      loss.dispose();
      return value;
    },
    dispose() {
      optimizer.dispose();
      images.dispose();
      network.dispose();
    },
  };
}

interface Network {
  variables: tf.Variable[];
  forward(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

function referenceSpec(widthMultiplier: number): ModelSpec {
  return { depth: 18, widthMultiplier, skRatio: 0, imageSize: IMAGE_SIZE, projectionLayers: 3, projectionDim: PROJECTION_DIM };
}

function simclrNetwork(spec: ModelSpec, seed: number): Network {
  const model = new SimclrModel(spec, seed);
  return {
    variables: model.trainableVariables(),
    forward: (images) => model.project(model.encode(images, true), true),
    dispose: () => model.dispose(),
  };
}

/** reference_simclr_step.py's SimCLR module, on tfjs ops. */
function torchLikeNetwork(widthMultiplier: number, seed: number): Network {
  const variables: tf.Variable[] = [];
  let nextSeed = seed * 1000 + 1;
  const variable = (init: tf.Tensor) => {
    const v = tf.variable(init, true);
    init.dispose();
    variables.push(v);
    return v;
  };
  const convKernel = (k: number, cin: number, cout: number) =>
    variable(tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (k * k * cin)), 'float32', nextSeed++));
  const linearKernel = (cin: number, cout: number) =>
    variable(tf.randomUniform([cin, cout], -1 / Math.sqrt(cin), 1 / Math.sqrt(cin), 'float32', nextSeed++));
  const batchNorm = (channels: number) => ({ gamma: variable(tf.ones([channels])), beta: variable(tf.zeros([channels])) });
  type Bn = ReturnType<typeof batchNorm>;
  const applyBn = <T extends tf.Tensor2D | tf.Tensor4D>(x: T, bn: Bn): T => {
    // tf.batchNorm's gradient with 1-D statistics is only right for 4-D input: 2-D goes as N×1×1×C.
    const x4 = (x.rank === 4 ? x : tf.reshape(x, [x.shape[0], 1, 1, x.shape[1]])) as tf.Tensor4D;
    const { mean, variance } = tf.moments(x4, [0, 1, 2]);
    const y = tf.batchNorm4d(x4, mean as tf.Tensor1D, variance as tf.Tensor1D, bn.beta as tf.Tensor1D, bn.gamma as tf.Tensor1D, 1e-5);
    return (x.rank === 4 ? y : tf.reshape(y, x.shape)) as T;
  };
  // The product model's widths at this multiplier; reference_simclr_step.py's max(1, round(c·w))
  // agrees except at exact .5 ties, which Python rounds to even.
  const channels = stageChannels(widthMultiplier);

  const stem = { kernel: convKernel(3, 3, channels[0]), bn: batchNorm(channels[0]) };
  const blocks: { stride: number; c1: tf.Variable; b1: Bn; c2: tf.Variable; b2: Bn; shortcut: { kernel: tf.Variable; bn: Bn } | null }[] =
    [];
  let cin = channels[0];
  channels.forEach((cout, stage) => {
    for (let b = 0; b < 2; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      blocks.push({
        stride,
        c1: convKernel(3, cin, cout),
        b1: batchNorm(cout),
        c2: convKernel(3, cout, cout),
        b2: batchNorm(cout),
        shortcut: stride !== 1 || cin !== cout ? { kernel: convKernel(1, cin, cout), bn: batchNorm(cout) } : null,
      });
      cin = cout;
    }
  });
  const f = cin;
  const head = {
    l1: linearKernel(f, f),
    b1: batchNorm(f),
    l2: linearKernel(f, f),
    b2: batchNorm(f),
    l3: linearKernel(f, PROJECTION_DIM),
    bias3: variable(tf.zeros([PROJECTION_DIM])),
  };

  const conv = (x: tf.Tensor4D, kernel: tf.Variable, stride: number) =>
    tf.conv2d(x, kernel as tf.Tensor4D, stride, (kernel.shape[0] - 1) / 2);
  return {
    variables,
    forward: (images) =>
      tf.tidy(() => {
        let h = tf.relu(applyBn(conv(images, stem.kernel, 1), stem.bn));
        for (const block of blocks) {
          const o = tf.relu(applyBn(conv(h, block.c1, block.stride), block.b1));
          const main = applyBn(conv(o, block.c2, 1), block.b2);
          const shortcut = block.shortcut === null ? h : applyBn(conv(h, block.shortcut.kernel, block.stride), block.shortcut.bn);
          h = tf.relu(tf.add(main, shortcut)) as tf.Tensor4D;
        }
        const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
        const z1 = tf.relu(applyBn(tf.matMul(pooled, head.l1 as tf.Tensor2D), head.b1));
        const z2 = tf.relu(applyBn(tf.matMul(z1, head.l2 as tf.Tensor2D), head.b2));
        return tf.add(tf.matMul(z2, head.l3 as tf.Tensor2D), head.bias3) as tf.Tensor2D;
      }),
    dispose: () => tf.dispose(variables),
  };
}
