import * as tf from '@tensorflow/tfjs';

/**
 * Losses of the three SimCLRv2 stages. Every loss returns a scalar that is differentiable with respect
 * to its (non-teacher) inputs, so it can sit inside `optimizer.minimize(() => ...)`.
 */

/**
 * Added to the self-similarity logits to exclude them from the softmax. A finite value (not -Infinity)
 * keeps the backward pass free of NaN (0 · -Infinity); exp(-1e9 - max) is exactly 0 in float32.
 */
const SELF_SIMILARITY_MASK = -1e9;
/** Guards the l2 normalisation of an all-zero row (its normalised value stays 0). */
const NORM_EPSILON = 1e-12;

/** Row-wise l2 normalisation: x / max(‖x‖, 1e-6) (tfjs has no l2Normalize op). */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const squaredNorm = tf.sum(tf.square(x), 1, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(squaredNorm, NORM_EPSILON))) as tf.Tensor2D;
  });
}

function assertPairedViews(z1: tf.Tensor, z2: tf.Tensor, temperature?: number): void {
  if (z1.rank !== 2 || z2.rank !== 2) throw new Error(`NT-Xent expects rank-2 embeddings [N, d], got ranks ${z1.rank} and ${z2.rank}`);
  if (z1.shape[0] !== z2.shape[0] || z1.shape[1] !== z2.shape[1]) {
    throw new Error(`NT-Xent expects two views of the same shape, got [${z1.shape}] and [${z2.shape}]`);
  }
  if (z1.shape[0] < 1) throw new Error('NT-Xent needs at least one pair of views');
  if (temperature !== undefined && !(temperature > 0)) throw new Error(`NT-Xent temperature must be > 0, got ${temperature}`);
}

/**
 * Cosine similarities of all 2N views, rows and columns ordered [z1; z2]; the diagonal is 1 (for the
 * UI heatmap; no temperature, no mask).
 */
export function similarityMatrix(z1: tf.Tensor2D, z2: tf.Tensor2D): tf.Tensor2D {
  assertPairedViews(z1, z2);
  return tf.tidy(() => {
    const z = l2NormalizeRows(tf.concat([z1, z2], 0));
    return tf.matMul(z, z, false, true);
  });
}

/** Index of each anchor's positive: view i of z1 pairs with view i of z2 and vice versa. */
function positiveIndices(n: number): number[] {
  return Array.from({ length: 2 * n }, (_, i) => (i < n ? i + n : i - n));
}

/** Masked logits [2N, 2N] (self-similarity excluded) and the one-hot of each anchor's positive. */
function contrastiveLogits(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): { logits: tf.Tensor2D; positives: tf.Tensor2D } {
  const n = z1.shape[0];
  const z = l2NormalizeRows(tf.concat([z1, z2], 0));
  const scaled = tf.div(tf.matMul(z, z, false, true), temperature);
  const logits = tf.add(scaled, tf.mul(tf.eye(2 * n), SELF_SIMILARITY_MASK)) as tf.Tensor2D;
  const positives = tf.oneHot(tf.tensor1d(positiveIndices(n), 'int32'), 2 * n).toFloat() as tf.Tensor2D;
  return { logits, positives };
}

/**
 * NT-Xent (SimCLR Algorithm 1): z1, z2 are [N, d] projections of two views of the same N images. Each of
 * the 2N views is an anchor whose positive is its other view and whose negatives are the other 2N-2
 * views; loss = mean over anchors of -log softmax(sim/τ)[positive], self-similarity excluded.
 */
export function ntXentLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  assertPairedViews(z1, z2, temperature);
  return tf.tidy(() => {
    const { logits, positives } = contrastiveLogits(z1, z2, temperature);
    const positiveLogit = tf.sum(tf.mul(logits, positives), 1);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), positiveLogit)) as tf.Scalar;
  });
}

/**
 * NT-Xent plus contrastive accuracy: the fraction of the 2N anchors whose positive has the highest
 * similarity among its 2N-1 candidates (ties resolve to the lowest index, as argMax does).
 */
export function ntXentWithAccuracy(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): { loss: tf.Scalar; accuracy: tf.Scalar } {
  assertPairedViews(z1, z2, temperature);
  const [loss, accuracy] = tf.tidy(() => {
    const n = z1.shape[0];
    const { logits, positives } = contrastiveLogits(z1, z2, temperature);
    const positiveLogit = tf.sum(tf.mul(logits, positives), 1);
    const lossValue = tf.mean(tf.sub(tf.logSumExp(logits, 1), positiveLogit)) as tf.Scalar;
    const hits = tf.equal(tf.argMax(logits, 1), tf.tensor1d(positiveIndices(n), 'int32'));
    return [lossValue, tf.mean(tf.cast(hits, 'float32')) as tf.Scalar];
  });
  return { loss, accuracy };
}

/**
 * A gradient barrier: forward is the identity, backward passes zeros. tfjs has no stopGradient; used so
 * that the distillation loss never sends gradient into the teacher's logits.
 */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...inputs) => ({
  value: (inputs[0] as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

/**
 * Distillation (SimCLRv2): mean over the batch of -Σ softmax(teacher/τ) · log softmax(student/τ), no τ²
 * factor. The teacher side is a constant: its logits pass through `stopGradient`, so no gradient flows
 * back through them. Callers should still compute the teacher logits OUTSIDE the function given to
 * `optimizer.minimize` (or pass the student's variables as `varList`): otherwise the teacher's
 * variables are recorded on the tape and an optimizer with weight decay or momentum would move them.
 */
export function distillationLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  if (studentLogits.rank !== 2 || teacherLogits.rank !== 2 || studentLogits.shape.join() !== teacherLogits.shape.join()) {
    throw new Error(`distillationLoss expects student and teacher logits of the same shape [B, classes], got [${studentLogits.shape}] and [${teacherLogits.shape}]`);
  }
  if (!(temperature > 0)) throw new Error(`distillation temperature must be > 0, got ${temperature}`);
  return tf.tidy(() => {
    const teacherProbs = tf.softmax(tf.div(stopGradient(teacherLogits), temperature));
    const studentLogProbs = tf.logSoftmax(tf.div(studentLogits, temperature));
    return tf.neg(tf.mean(tf.sum(tf.mul(teacherProbs, studentLogProbs), 1))) as tf.Scalar;
  });
}

/** Mean cross-entropy of logits [B, C] against integer class ids [B]. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (logits.rank !== 2 || labels.rank !== 1 || logits.shape[0] !== labels.shape[0]) {
    throw new Error(`softmaxCrossEntropy expects logits [B, C] and labels [B], got [${logits.shape}] and [${labels.shape}]`);
  }
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, logits.shape[1]).toFloat();
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** Top-1 accuracy of logits [B, C] against integer class ids [B], as a scalar tensor in [0, 1]. */
export function accuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (logits.rank !== 2 || labels.rank !== 1 || logits.shape[0] !== labels.shape[0]) {
    throw new Error(`accuracy expects logits [B, C] and labels [B], got [${logits.shape}] and [${labels.shape}]`);
  }
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32')) as tf.Scalar);
}

/** Number of correct top-1 predictions (for accumulating accuracy over many batches). */
export function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): number {
  const correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'int32')));
  const value = correct.dataSync()[0];
  correct.dispose();
  return value;
}
