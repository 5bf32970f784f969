import * as tf from '@tensorflow/tfjs';

export interface BatchNormTrainingResult {
  y: tf.Tensor4D;
  /** The batch statistics (biased variance), for the moving averages; the caller disposes them. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch norm over N, H, W of an NHWC tensor as one op with a closed-form gradient.
 * Composed from tf.moments + tf.batchNorm, the tape differentiates through the moments too:
 * about 13 full-size passes and 3 reductions per layer on the way back (Mean's and Square's
 * gradients, broadcasts, accumulations). With x̂ = (x − μ)/σ, M = N·H·W, the gradient is
 *   dβ = Σ dy,   dγ = Σ dy·x̂,   dx = (γ/σ)·(dy − dβ/M) − (x − μ)·(γ/σ³)·Σ dy(x − μ)/M
 * which takes 5 full-size passes and 2 reductions, and as many fewer kernel dispatches on a GPU.
 */
export function batchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const statistics: { mean?: tf.Tensor1D; variance?: tf.Tensor1D } = {};
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const input = xIn as tf.Tensor4D;
    const scale = gammaIn as tf.Tensor1D;
    const offset = betaIn as tf.Tensor1D;
    const count = input.size / input.shape[3];
    const mean = tf.div(channelSum(input), count) as tf.Tensor1D;
    const centered = channelAffine(input, null, tf.neg(mean) as tf.Tensor1D);
    const variance = tf.div(channelSum(tf.square(centered) as tf.Tensor4D), count) as tf.Tensor1D;
    const inverseStd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    const gain = tf.mul(scale, inverseStd) as tf.Tensor1D;
    // The forward runs in a tidy scope; the statistics leave it for the moving averages.
    statistics.mean = tf.keep(mean);
    statistics.variance = tf.keep(variance);
    (save as tf.GradSaveFunc)([input, mean, inverseStd, gain]);
    const y = channelAffine(input, gain, tf.sub(offset, tf.mul(mean, gain)) as tf.Tensor1D);
    return {
      value: y,
      gradFunc: (dyIn, saved) => {
        const dy = dyIn as tf.Tensor4D;
        const [xSaved, meanSaved, invStd, gainSaved] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const centeredAgain = channelAffine(xSaved, null, tf.neg(meanSaved) as tf.Tensor1D);
        const sumDy = channelSum(dy);
        const sumDyCentered = channelSum(tf.mul(dy, centeredAgain) as tf.Tensor4D);
        const shift = tf.neg(tf.mul(gainSaved, tf.div(sumDy, count))) as tf.Tensor1D;
        const centeredWeight = tf.mul(gainSaved, tf.mul(tf.square(invStd), tf.div(sumDyCentered, count))) as tf.Tensor1D;
        const dx = tf.sub(channelAffine(dy, gainSaved, shift), channelAffine(centeredAgain, centeredWeight, null));
        return [dx, tf.mul(sumDyCentered, invStd), sumDy];
      },
    };
  });
  const y = op(x, gamma, beta) as tf.Tensor4D;
  const { mean, variance } = statistics;
  if (mean === undefined || variance === undefined) throw new Error('batch norm produced no statistics');
  return { y, mean, variance };
}

/**
 * On wasm, tfjs's reductions over outer axes transpose first and its broadcasting binary ops run
 * without SIMD (several times slower than an XNNPack kernel over the same data, measured here),
 * so per-channel sums go through a global average pool and per-channel affine maps through a 1x1
 * depthwise conv with bias. Other backends keep the plain ops (one dispatch each on a GPU).
 */
function usesXnnpackForms(): boolean {
  return tf.getBackend() === 'wasm';
}

function channelSum(x: tf.Tensor4D): tf.Tensor1D {
  const channels = x.shape[3];
  if (!usesXnnpackForms()) return tf.sum(x, [0, 1, 2]) as tf.Tensor1D;
  const [, height, width] = x.shape;
  if (height * width === 1) return tf.reshape(tf.sum(x, [0, 1, 2]), [channels]) as tf.Tensor1D;
  // XNNPack's global average pool, then the small N×C sum.
  const pooled = tf.avgPool(x, [height, width], 1, 'valid');
  return tf.mul(tf.sum(pooled, [0, 1, 2]), height * width) as tf.Tensor1D;
}

/** x·scale + shift per channel (either may be null: 1 and 0). */
function channelAffine(x: tf.Tensor4D, scale: tf.Tensor1D | null, shift: tf.Tensor1D | null): tf.Tensor4D {
  const channels = x.shape[3];
  if (usesXnnpackForms()) {
    const filter = tf.reshape(scale ?? tf.ones([channels]), [1, 1, channels, 1]) as tf.Tensor4D;
    return tf.fused.depthwiseConv2d({ x, filter, strides: 1, pad: 'valid', bias: shift ?? undefined });
  }
  const scaled = scale === null ? x : tf.mul(x, scale);
  return (shift === null ? scaled : tf.add(scaled, shift)) as tf.Tensor4D;
}
