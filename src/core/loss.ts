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

/** What one NT-Xent pass over a batch gives: the loss in both scales and the contrastive accuracy. */
export interface NtXentTerms {
  /** Mean over the 2N anchors (paper, Algorithm 1): what `ntXentLoss` returns and charts show. */
  loss: tf.Scalar;
  /**
   * The official training objective (tf2/objective.py `add_contrastive_loss`): the mean over the N
   * images of (view 1 → view 2) plus the mean of (view 2 → view 1) = exactly 2 × `loss`. Pretraining
   * minimises this, so the official learning rates and weight decays mean the same here.
   */
  objective: tf.Scalar;
  /**
   * Contrastive accuracy as the official metrics compute it: how often a view-1 anchor ranks its own
   * view 2 first among the N view-2 candidates (ties resolve to the lowest index, as argMax does).
   */
  accuracy: tf.Scalar;
}

/**
 * The one NT-Xent body. z1, z2 are [N, d] projections of two views of the same N images; every view
 * is an anchor whose positive is its other view and whose negatives are the other 2N-2 views, with
 * self-similarity excluded. Safe inside `optimizer.minimize` (return `objective`, tf.keep the rest).
 */
export function ntXent(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): NtXentTerms {
  assertPairedViews(z1, z2, temperature);
  const [loss, objective, accuracy] = tf.tidy(() => {
    const n = z1.shape[0];
    const z = l2NormalizeRows(tf.concat([z1, z2], 0));
    const scaled = tf.div(tf.matMul(z, z, false, true), temperature);
    const logits = tf.add(scaled, tf.mul(tf.eye(2 * n), SELF_SIMILARITY_MASK)) as tf.Tensor2D;
    const positives = tf.oneHot(tf.tensor1d(positiveIndices(n), 'int32'), 2 * n).toFloat();
    const perAnchor = tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, positives), 1));
    const meanLoss = tf.mean(perAnchor) as tf.Scalar;
    // Rows 0..N-1 against columns N..2N-1: view-1 anchors against the view-2 candidates.
    const crossViews = tf.slice(scaled, [0, n], [n, n]);
    const hits = tf.equal(tf.argMax(crossViews, 1), tf.range(0, n, 1, 'int32'));
    return [meanLoss, tf.mul(meanLoss, 2) as tf.Scalar, tf.mean(tf.cast(hits, 'float32')) as tf.Scalar];
  });
  return { loss, objective, accuracy };
}

/**
 * NT-Xent (SimCLR Algorithm 1): loss = mean over the 2N anchors of -log softmax(sim/τ)[positive],
 * self-similarity excluded. Half the official training objective (see `ntXent`).
 */
export function ntXentLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  const terms = ntXent(z1, z2, temperature);
  tf.dispose([terms.objective, terms.accuracy]);
  return terms.loss;
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
    throw new Error(
      `distillationLoss expects student and teacher logits of the same shape [B, classes], got [${studentLogits.shape}] and [${teacherLogits.shape}]`,
    );
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
