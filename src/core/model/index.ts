import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../config';
import { Rng } from '../random';
import type { TensorRecord } from '../types';
import { Dense } from './layers';
import { type Parameter, ParameterStore } from './parameters';
import { ProjectionHead, type ProjectionHeadSpec } from './projectionHead';
import { type EncoderSpec, ResnetEncoder } from './resnet';

/**
 * The engine's networks, written on tfjs-core ops with tf.Variables (no tfjs-layers).
 *
 *   const model = new SimclrModel(modelSpecFromConfig(config), config.seed);
 *   const h = model.encode(images, true);        // N×featureDim (encoder f)
 *   const z = model.project(h, true);            // N×projectionDim (head g, all layers)
 *   const clf = Classifier.fromPretrained(model, k, numClasses, seed);   // encoder + k head layers + linear
 *   const logits = clf.logits(images, true);
 *
 * Training contract:
 * - Gradients: `tf.variableGrads(lossFn, model.trainableVariables())` or
 *   `optimizer.minimize(lossFn, true, model.trainableVariables())`. Trainable = conv/dense kernels,
 *   biases, BN gamma/beta. BN moving statistics are non-trainable variables.
 * - Batch norm: every forward call with `training = true` normalises with the batch's statistics
 *   AND updates the moving statistics once (momentum 0.9, biased variance, eps 1e-5), as a side
 *   effect of the call; nothing else needs calling after the step. It works inside
 *   tf.variableGrads / optimizer.minimize (the update is not on the loss's gradient path). So run
 *   exactly one training-mode forward per training step and use `training = false` for everything
 *   that only looks (k-NN features, embeddings, similarity plots, teachers, evaluation).
 * - Names: variables are registered as `<modelPrefix>/<path>`; `pathOf(v)` gives the readable path
 *   (`encoder/stem/conv/kernel`, `encoder/block2_1/bn2/gamma`, `head/dense0/kernel`,
 *   `classifier/kernel`, `classifier/bias`), which keys getWeights/setWeights and checkpoints.
 * - Weights I/O: `getWeights()` (sync) / `getWeightsAsync()` (prefer on GPU backends) return every
 *   variable, moving statistics included; `setWeights(w)` needs all of them (or `{partial: true}`).
 * - Forward methods tidy their intermediates; the caller owns (and disposes) the returned tensor.
 *   `dispose()` frees all variables.
 */

export type { EncoderSpec, ResnetDepth } from './resnet';
export { encoderFeatureDim, stageChannels, usesCifarStem } from './resnet';
export type { ProjectionHeadSpec } from './projectionHead';
export type { Parameter } from './parameters';
export { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM } from './layers';

export type ModelSpec = EncoderSpec & ProjectionHeadSpec;

/** The pretraining network's spec from a run config. */
export function modelSpecFromConfig(config: RunConfig): ModelSpec {
  return {
    depth: config.model.depth,
    widthMultiplier: config.model.widthMultiplier,
    skRatio: config.model.skRatio,
    imageSize: config.dataset.imageSize,
    projectionLayers: config.model.projectionLayers,
    projectionDim: config.model.projectionDim,
  };
}

/** The distillation student's spec (same head shape as the teacher, so the same k is valid). */
export function studentSpecFromConfig(config: RunConfig): ModelSpec {
  return {
    ...modelSpecFromConfig(config),
    depth: config.distill.studentDepth,
    widthMultiplier: config.distill.studentWidthMultiplier,
    skRatio: config.distill.studentSkRatio,
  };
}

const ENCODER = 'encoder';
const HEAD = 'head';
const CLASSIFIER = 'classifier';
const LINEAR_PROBE = 'linearProbe';

/** What every model here shares: a store of named variables. */
abstract class NamedModel {
  protected constructor(protected readonly store: ParameterStore) {}

  trainableVariables(): tf.Variable[] {
    return this.store.trainableVariables();
  }

  /** All variables with their readable paths (moving statistics included, marked non-trainable). */
  parameters(): Parameter[] {
    return this.store.list();
  }

  pathOf(variable: tf.Variable): string {
    return this.store.pathOf(variable);
  }

  /** Number of trainable values (what papers and torchvision report). */
  parameterCount(): number {
    return this.store.parameterCount(true);
  }

  getWeights(): Record<string, TensorRecord> {
    return this.store.getWeights();
  }

  getWeightsAsync(): Promise<Record<string, TensorRecord>> {
    return this.store.getWeightsAsync();
  }

  setWeights(weights: Record<string, TensorRecord>, options?: { partial?: boolean }): void {
    this.store.setWeights(weights, options);
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** Encoder f + projection head g: the network contrastive pretraining trains. */
export class SimclrModel extends NamedModel {
  readonly spec: ModelSpec;
  readonly featureDim: number;
  /** Width of z (featureDim when projectionLayers = 0). */
  readonly outputDim: number;
  private readonly encoder: ResnetEncoder;
  private readonly head: ProjectionHead;
  private readonly probe: Dense | null;

  /**
   * `linearProbeClasses`: also hold a linear classifier on encoder features (`linearProbe/kernel`,
   * `linearProbe/bias`), the official `lineareval_while_pretraining` head, trained on stop-gradient
   * features alongside the contrastive loss.
   */
  constructor(spec: ModelSpec, seed: number, options: { zeroInit?: boolean; linearProbeClasses?: number } = {}) {
    super(new ParameterStore('simclr', { zeroInit: options.zeroInit }));
    this.spec = { ...spec };
    const rng = new Rng(seed);
    this.encoder = new ResnetEncoder(this.store, ENCODER, spec, rng.fork(1));
    this.featureDim = this.encoder.featureDim;
    this.head = new ProjectionHead(this.store, HEAD, this.featureDim, spec, rng.fork(2));
    this.outputDim = this.head.widthAfter(spec.projectionLayers);
    const classes = options.linearProbeClasses;
    if (classes !== undefined && (!Number.isInteger(classes) || classes < 1))
      throw new Error(`linearProbeClasses must be a positive integer, got ${classes}`);
    this.probe = classes ? new Dense(this.store, LINEAR_PROBE, this.featureDim, classes, rng.fork(3), { useBias: true }) : null;
  }

  get hasLinearProbe(): boolean {
    return this.probe !== null;
  }

  /** The linear probe's logits on encoder features h (throws when the model has no probe). */
  probeLogits(h: tf.Tensor2D): tf.Tensor2D {
    if (!this.probe) throw new Error('this SimclrModel was built without a linear probe');
    const probe = this.probe;
    return tf.tidy(() => probe.apply(h));
  }

  encode(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    return tf.tidy(() => this.encoder.apply(x, training));
  }

  project(h: tf.Tensor2D, training: boolean): tf.Tensor2D {
    return this.projectUpTo(h, this.spec.projectionLayers, training);
  }

  /** Output after the first k head layers (k = 0 → a copy of h). */
  projectUpTo(h: tf.Tensor2D, k: number, training: boolean): tf.Tensor2D {
    return tf.tidy(() => (k === 0 ? tf.clone(h) : this.head.apply(h, training, k)));
  }

  /** Width of projectUpTo(h, k). */
  widthAfter(k: number): number {
    return this.head.widthAfter(k);
  }
}

/**
 * Encoder + the first k projection-head layers + a linear layer (`classifier/kernel`,
 * `classifier/bias`; N(0, 0.01²) kernel, zero bias, as the official supervised head).
 */
export class Classifier extends NamedModel {
  readonly spec: ModelSpec;
  /** Number of projection-head layers kept before the linear layer. */
  readonly headLayers: number;
  readonly numClasses: number;
  /** Width of features() (the linear layer's input). */
  readonly featureWidth: number;
  private readonly encoder: ResnetEncoder;
  private readonly head: ProjectionHead;
  private readonly linear: Dense;

  private constructor(spec: ModelSpec, k: number, numClasses: number, seed: number, source?: ReadonlyMap<string, tf.Tensor>) {
    super(new ParameterStore('classifier', { source }));
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`numClasses must be a positive integer, got ${numClasses}`);
    this.spec = { ...spec };
    this.headLayers = k;
    this.numClasses = numClasses;
    const rng = new Rng(seed);
    this.encoder = new ResnetEncoder(this.store, ENCODER, spec, rng.fork(1));
    this.head = new ProjectionHead(this.store, HEAD, this.encoder.featureDim, spec, rng.fork(2), k);
    this.featureWidth = this.head.widthAfter(k);
    this.linear = new Dense(this.store, CLASSIFIER, this.featureWidth, numClasses, rng.fork(3), { useBias: true });
  }

  /** Copies the encoder and first k head layers of `model` (new variables; `model` stays usable). */
  static fromPretrained(model: SimclrModel, k: number, numClasses: number, seed: number): Classifier {
    return new Classifier(model.spec, k, numClasses, seed, valuesOf(model));
  }

  /** A freshly initialised classifier (the from-scratch baseline, a distillation student). */
  static fromScratch(spec: ModelSpec, k: number, numClasses: number, seed: number): Classifier {
    return new Classifier(spec, k, numClasses, seed);
  }

  /** Input to the linear layer: encoder features after the kept head layers. */
  features(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    return tf.tidy(() => this.head.apply(this.encoder.apply(x, training), training));
  }

  /** Encoder output h alone (e.g. for a k-NN monitor on a fine-tuned encoder). */
  encode(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    return tf.tidy(() => this.encoder.apply(x, training));
  }

  logits(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    return tf.tidy(() => this.linear.apply(this.head.apply(this.encoder.apply(x, training), training)));
  }

  /** The linear layer alone, on features() (linear evaluation trains only this). */
  logitsFromFeatures(features: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.linear.apply(features));
  }

  /** The linear layer's variables (`classifier/kernel`, `classifier/bias`). */
  linearVariables(): tf.Variable[] {
    return this.parameters()
      .filter((p) => p.trainable && p.path.startsWith(`${CLASSIFIER}/`))
      .map((p) => p.variable);
  }
}

function valuesOf(model: NamedModel): Map<string, tf.Tensor> {
  return new Map(model.parameters().map((p) => [p.path, p.variable as tf.Tensor]));
}

/**
 * Trainable parameter counts of a spec, without random init (builds a zero-filled model briefly):
 * `encoder` (conv body + BN, no classifier), `head` (projection head), `total`.
 */
export function countParameters(spec: ModelSpec): { encoder: number; head: number; total: number } {
  const model = new SimclrModel(spec, 0, { zeroInit: true });
  try {
    let encoder = 0;
    let head = 0;
    for (const p of model.parameters()) {
      if (!p.trainable) continue;
      if (p.path.startsWith(`${ENCODER}/`)) encoder += p.variable.size;
      else head += p.variable.size;
    }
    return { encoder, head, total: encoder + head };
  } finally {
    model.dispose();
  }
}
