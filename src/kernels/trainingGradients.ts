import * as tf from '@tensorflow/tfjs';

/**
 * Gradients that replace tfjs 4.22's for training speed on every backend (gradients are global in
 * tfjs, not per backend). Same values as the stock ones, fewer full-size tensors:
 * - FusedBatchNorm: the stock gradient tiles 1/sqrt(var+eps) to the full activation shape (the
 *   wasm Tile kernel alone took ~35% of a ResNet-18 step) and builds ~10 full-size temporaries;
 *   this one broadcasts per-channel vectors and shares the two channel sums it needs.
 * - Mean / Sum: the stock gradients multiply by a full-size `ones` tensor created in JavaScript and
 *   uploaded to the backend every step (batch-norm moments, global pooling); here the backend fills
 *   the constant itself (Fill kernel), so nothing full-size crosses from JavaScript.
 */

let registered = false;
/** tfjs's own gradients, kept so that benchmarks and tests can compare against them. */
const stockGradients = new Map<string, tf.GradConfig>();

export function registerTrainingGradients(): void {
  if (registered) return;
  for (const config of [fusedBatchNormGradient, meanGradient, sumGradient]) {
    const stock = tf.getGradient(config.kernelName);
    if (stock !== undefined && !stockGradients.has(config.kernelName)) stockGradients.set(config.kernelName, stock);
    tf.registerGradient(config);
  }
  registered = true;
}

/**
 * Puts tfjs's own FusedBatchNorm/Mean/Sum gradients back (gradients are global: every backend);
 * `registerTrainingGradients` installs the project's again.
 */
export function restoreStockGradients(): void {
  if (!registered) return;
  for (const config of stockGradients.values()) tf.registerGradient(config);
  registered = false;
}

const fusedBatchNormGradient: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dyIn, saved, attrs) => {
    const dy = dyIn as tf.Tensor;
    const [x, mean, variance, scale] = saved;
    const epsilon = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    // The per-channel quantities all five gradients share, computed once. The input closures run
    // in their own tidy scopes, so nothing they share may be created lazily inside one of them;
    // this tidy frees the full-size temporaries at once and keeps only the small results.
    const [inverseStd, scaleOrOne, sumDy, sumDyCentered] = tf.tidy(() => {
      const reduce = (t: tf.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
      return [
        tf.rsqrt(tf.add(variance, epsilon)),
        scale == null ? tf.scalar(1) : tf.clone(scale),
        reduce(dy),
        reduce(tf.mul(dy, tf.sub(x, mean))),
      ];
    });
    return {
      x: () => tf.reshape(tf.mul(dy, tf.mul(inverseStd, scaleOrOne)), x.shape),
      mean: () => tf.neg(tf.mul(tf.mul(inverseStd, scaleOrOne), sumDy)),
      variance: () => tf.mul(tf.mul(tf.mul(tf.mul(inverseStd, inverseStd), inverseStd), tf.mul(scaleOrOne, -0.5)), sumDyCentered),
      scale: () => tf.mul(inverseStd, sumDyCentered),
      offset: () => tf.clone(sumDy),
    };
  },
};

/** dy reshaped to x's rank (reduced axes kept as 1) times a backend-filled constant of x's shape. */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axisAttr: number | number[], constant: number): tf.Tensor {
  const axes = tf.util.parseAxisParam(axisAttr, x.shape);
  const expandedShape = x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
  return tf.mul(tf.reshape(dy, expandedShape), tf.fill(x.shape, constant, 'float32'));
}

const meanGradient: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const axis = (attrs as unknown as { axis: number | number[] }).axis;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const reduceSize = axes.reduce((size, a) => size * x.shape[a], 1);
    return { x: () => broadcastBack(dy as tf.Tensor, x, axis, 1 / reduceSize) };
  },
};

const sumGradient: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const axis = (attrs as unknown as { axis: number | number[] }).axis;
    return { x: () => broadcastBack(dy as tf.Tensor, x, axis, 1) };
  },
};
