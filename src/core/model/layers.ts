import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { batchNormTraining } from './batchNormTraining';
import type { ParameterStore } from './parameters';

/**
 * Functional building blocks on tf.Variables: convolution, batch norm, dense. Each layer creates its
 * variables in a ParameterStore under a readable path and applies itself with plain tfjs-core ops,
 * so gradients come from tf.variableGrads / optimizer.minimize.
 */

export const BATCH_NORM_MOMENTUM = 0.9;
export const BATCH_NORM_EPSILON = 1e-5;

/**
 * He-normal with fan_out = k·k·outChannels (as torchvision's ResNet init; the official SimCLR
 * uses a fan_in variance-scaling init — with BN after every conv the difference only affects the
 * first steps). Seeded, so a model seed reproduces the init on every backend.
 */
export function heNormal(shape: number[], fanOut: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanOut), 'float32', seed);
}

export class Conv2d {
  readonly kernel: tf.Variable;

  constructor(
    store: ParameterStore,
    path: string,
    readonly kernelSize: number,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly stride: number,
    rng: Rng,
  ) {
    const shape = [kernelSize, kernelSize, inChannels, outChannels];
    const seed = rng.seed();
    this.kernel = store.create(`${path}/kernel`, shape, true, () => heNormal(shape, kernelSize * kernelSize * outChannels, seed));
  }

  /**
   * Symmetric padding of (k-1)/2: "same" for stride 1, and for stride 2 the fixed padding of the
   * official implementation (TF "same" would pad only at the end).
   */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.conv2d(x, this.kernel as tf.Tensor4D, this.stride, (this.kernelSize - 1) / 2);
  }
}

export interface BatchNormOptions {
  /** Start gamma at 0 (last BN of a residual block, so the block starts as its shortcut). */
  zeroGamma?: boolean;
  /** Learn an offset beta (false for the projection head's output layer, as the official code). */
  center?: boolean;
}

/**
 * Batch normalisation over all axes but the last (channels), for 4-D (NHWC) and 2-D (NC) inputs.
 *
 * training = true: normalises with the batch's biased moments (gradients flow through them) and,
 * as a side effect, moves the moving statistics towards them (momentum 0.9). The assignment is not
 * an op on the gradient tape's path to the loss, so it is safe inside tf.variableGrads /
 * optimizer.minimize. training = false: uses the moving statistics; nothing changes.
 */
export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable | null;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;

  constructor(
    store: ParameterStore,
    path: string,
    readonly channels: number,
    options: BatchNormOptions = {},
  ) {
    const shape = [channels];
    this.gamma = store.create(`${path}/gamma`, shape, true, () => (options.zeroGamma ? tf.zeros(shape) : tf.ones(shape)));
    this.beta = options.center === false ? null : store.create(`${path}/beta`, shape, true, () => tf.zeros(shape));
    this.movingMean = store.create(`${path}/movingMean`, shape, false, () => tf.zeros(shape));
    this.movingVariance = store.create(`${path}/movingVariance`, shape, false, () => tf.ones(shape));
  }

  apply<T extends tf.Tensor2D | tf.Tensor4D>(x: T, training: boolean): T {
    if (x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`BatchNorm expects ${this.channels} channels, got shape [${x.shape}]`);
    }
    // tf.batchNorm's gradient assumes 4-D input when the statistics are 1-D, so 2-D goes as N×1×1×C.
    const x4 = (x.rank === 4 ? x : tf.reshape(x, [x.shape[0], 1, 1, this.channels])) as tf.Tensor4D;
    // A missing offset breaks tfjs 4.22's tape (it reads the id of every input), so pass zeros.
    const beta = (this.beta ?? tf.zerosLike(this.gamma)) as tf.Tensor1D;
    let y: tf.Tensor4D;
    if (training) {
      const result = batchNormTraining(x4, this.gamma as tf.Tensor1D, beta, BATCH_NORM_EPSILON);
      this.updateMovingStatistics(result.mean, result.variance);
      tf.dispose([result.mean, result.variance]);
      y = result.y;
    } else {
      y = tf.batchNorm4d(
        x4,
        this.movingMean as tf.Tensor1D,
        this.movingVariance as tf.Tensor1D,
        beta,
        this.gamma as tf.Tensor1D,
        BATCH_NORM_EPSILON,
      );
    }
    return (x.rank === 4 ? y : tf.reshape(y, x.shape)) as T;
  }

  private updateMovingStatistics(mean: tf.Tensor1D, variance: tf.Tensor1D): void {
    tf.tidy(() => {
      const keep = tf.scalar(BATCH_NORM_MOMENTUM);
      const take = tf.scalar(1 - BATCH_NORM_MOMENTUM);
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, keep), tf.mul(mean, take)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, keep), tf.mul(variance, take)));
    });
  }
}

export interface DenseOptions {
  useBias: boolean;
  /** Standard deviation of the normal kernel init (official SimCLR heads: 0.01). */
  initStddev?: number;
  /** Use He-normal (fan_out) instead: for the SK attention's 1x1 convolutions. */
  heInit?: boolean;
}

export class Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    store: ParameterStore,
    path: string,
    readonly inUnits: number,
    readonly outUnits: number,
    rng: Rng,
    options: DenseOptions,
  ) {
    const shape = [inUnits, outUnits];
    const seed = rng.seed();
    const stddev = options.initStddev ?? 0.01;
    this.kernel = store.create(`${path}/kernel`, shape, true, () =>
      options.heInit ? heNormal(shape, outUnits, seed) : tf.randomNormal(shape, 0, stddev, 'float32', seed),
    );
    this.bias = options.useBias ? store.create(`${path}/bias`, [outUnits], true, () => tf.zeros([outUnits])) : null;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y = tf.matMul(x, this.kernel as tf.Tensor2D) as tf.Tensor2D;
    return this.bias === null ? y : tf.add<tf.Tensor2D>(y, this.bias);
  }
}
