import * as tf from '@tensorflow/tfjs';
import type { OptimizerName } from './config';

/**
 * Optimisers of the engine, as the official SimCLR code (tf2/model.py `build_optimizer`,
 * tf2/lars_optimizer.py): LARS, SGD with Nesterov momentum (official `momentum`), Adam with L2
 * weight decay (official `adam`, the decay added to the loss there, to the gradient here, which is
 * the same), and AdamW (decoupled decay; not in the official code). All share one options shape,
 * name predicates for what is excluded from weight decay (and, for LARS, from the trust ratio), a
 * public mutable `learningRate` (the trainer sets it from the schedule before every step) and
 * name-keyed state, so checkpoints save and restore them alike.
 */

/** A named state tensor, as tf.Optimizer's getWeights/setWeights exchange them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface OptimizerOptions {
  learningRate: number;
  /** LARS and SGD momentum; Adam's beta1. Default 0.9. */
  momentum?: number;
  weightDecay?: number;
  /** LARS trust coefficient. Default 0.001. */
  eta?: number;
  /**
   * Variables (by name) that get no weight decay. Default: the other predicate if given, else
   * `isExcludedFromDecay` (biases and batch-norm parameters).
   */
  excludeFromWeightDecay?: (variableName: string) => boolean;
  /**
   * LARS: variables (by name) whose step is not scaled by the trust ratio. Default: the same as
   * `excludeFromWeightDecay`, as the official LARSOptimizer.
   */
  excludeFromLayerAdaptation?: (variableName: string) => boolean;
}

/**
 * Default exclusion: biases and batch-norm parameters (the model names them `.../bias`,
 * `.../bn*\/gamma`, `.../bn*\/beta`; kernels are `.../kernel`).
 */
export function isExcludedFromDecay(variableName: string): boolean {
  return isBias(variableName) || isBatchNormParameter(variableName);
}

export function isBias(variableName: string): boolean {
  return /(^|\/)bias$/.test(variableName);
}

/** Batch-norm gamma/beta (the official code's `batch_normalization` variables). */
export function isBatchNormParameter(variableName: string): boolean {
  return ['beta', 'gamma', '/bn'].some((part) => variableName.includes(part));
}

/**
 * The supervised classifier: a classifier's linear layer, or the linear probe trained during
 * pretraining (the official `head_supervised`).
 */
export function isSupervisedHead(variableName: string): boolean {
  return /(^|\/)(classifier|linearProbe)\//.test(variableName);
}

/** Name of an optimizer state tensor: `<variable name>/<slot>`. */
function slotKey(variableName: string, slot: string): string {
  return `${variableName}/${slot}`;
}

/**
 * Base of the three optimisers: per-variable state slots keyed by variable name (not by position, so
 * state survives a change in the order gradients arrive), with getWeights/setWeights for checkpoints.
 */
export abstract class SlotOptimizer extends tf.Optimizer {
  learningRate: number;
  momentum: number;
  weightDecay: number;
  readonly excludeFromWeightDecay: (variableName: string) => boolean;
  readonly excludeFromLayerAdaptation: (variableName: string) => boolean;
  /** variable name → slot name → state variable (non-trainable). */
  private readonly slots = new Map<string, Map<string, tf.Variable>>();

  protected abstract readonly slotNames: readonly string[];

  constructor(options: OptimizerOptions) {
    super();
    if (!(options.learningRate >= 0)) throw new Error(`learningRate must be >= 0, got ${options.learningRate}`);
    this.learningRate = options.learningRate;
    this.momentum = options.momentum ?? 0.9;
    this.weightDecay = options.weightDecay ?? 0;
    this.excludeFromWeightDecay = options.excludeFromWeightDecay ?? options.excludeFromLayerAdaptation ?? isExcludedFromDecay;
    this.excludeFromLayerAdaptation = options.excludeFromLayerAdaptation ?? this.excludeFromWeightDecay;
  }

  /** The update of one variable; runs inside tf.tidy. `step` is 1 for the first update. */
  protected abstract updateVariable(
    name: string,
    value: tf.Variable,
    gradient: tf.Tensor,
    slots: Map<string, tf.Variable>,
    step: number,
  ): void;

  protected usesWeightDecay(name: string): boolean {
    return this.weightDecay > 0 && !this.excludeFromWeightDecay(name);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map((item) => [item.name, item.tensor])
      : Object.entries(variableGradients);
    const step = this.iterations + 1;
    for (const [name, gradient] of entries) {
      if (gradient == null) continue;
      const value = tf.engine().registeredVariables[name];
      if (value === undefined) throw new Error(`${this.getClassName()}: no variable named "${name}" is registered`);
      const slots = this.slotsFor(name, value);
      tf.tidy(() => this.updateVariable(name, value, gradient, slots, step));
    }
    this.incrementIterations();
  }

  private slotsFor(name: string, value: tf.Variable): Map<string, tf.Variable> {
    let slots = this.slots.get(name);
    if (slots === undefined) {
      slots = new Map();
      for (const slot of this.slotNames)
        slots.set(
          slot,
          tf.tidy(() => tf.zerosLike(value).variable(false)),
        );
      this.slots.set(name, slots);
    }
    return slots;
  }

  /** Names of the state tensors, `<variable>/<slot>` (for inspection and tests). */
  slotVariableNames(): string[] {
    return [...this.slots.entries()].flatMap(([name, slots]) => [...slots.keys()].map((slot) => slotKey(name, slot)));
  }

  /** [iterations, ...state tensors named `<variable>/<slot>`]. The tensors are the live state: copy or serialise before the next step. */
  override async getWeights(): Promise<NamedTensor[]> {
    const state = [...this.slots.entries()].flatMap(([name, slots]) =>
      [...slots.entries()].map(([slot, variable]) => ({ name: slotKey(name, slot), tensor: variable as tf.Tensor })),
    );
    return [await this.saveIterations(), ...state];
  }

  /** Restores what getWeights returned (copies the tensors; the caller keeps ownership of its own). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.disposeSlots();
    for (const { name, tensor } of rest) {
      const cut = name.lastIndexOf('/');
      const slot = name.slice(cut + 1);
      if (cut <= 0 || !this.slotNames.includes(slot)) {
        throw new Error(
          `${this.getClassName()}.setWeights: unexpected state "${name}" (expected <variable>/<${this.slotNames.join('|')}>)`,
        );
      }
      const variableName = name.slice(0, cut);
      let slots = this.slots.get(variableName);
      if (slots === undefined) {
        slots = new Map();
        this.slots.set(variableName, slots);
      }
      slots.set(
        slot,
        tf.tidy(() => tf.cast(tensor, 'float32').variable(false)),
      );
    }
  }

  private disposeSlots(): void {
    for (const slots of this.slots.values()) for (const variable of slots.values()) variable.dispose();
    this.slots.clear();
  }

  override dispose(): void {
    this.disposeSlots();
  }

  // tf.Serializable's own fromConfig (`new cls(config)`) rebuilds every subclass from this: the
  // config's keys are OptimizerOptions'.
  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, momentum: this.momentum, weightDecay: this.weightDecay };
  }
}

/**
 * LARS as in the official SimCLR code (google-research/simclr lars_optimizer.py, the default
 * `classic_momentum=True`, no Nesterov): g = grad + wd·w (unless excluded from weight decay);
 * trust = eta·‖w‖/‖g‖ when both norms are > 0, else 1 (and 1 for variables excluded from layer
 * adaptation); v = momentum·v + lr·trust·g; w = w − v.
 */
export class Lars extends SlotOptimizer {
  static get className(): string {
    return 'Lars';
  }
  eta: number;
  protected readonly slotNames = ['momentum'] as const;

  constructor(options: OptimizerOptions) {
    super(options);
    this.eta = options.eta ?? 0.001;
  }

  protected updateVariable(name: string, value: tf.Variable, gradient: tf.Tensor, slots: Map<string, tf.Variable>, _step: number): void {
    const velocity = slots.get('momentum')!;
    const excluded = this.excludeFromLayerAdaptation(name);
    // Decay and adaptation are separate predicates (official exclude_from_weight_decay / _layer_adaptation).
    const g = this.usesWeightDecay(name) ? tf.add(gradient, tf.mul(value, this.weightDecay)) : gradient;
    let scaledLr: tf.Tensor = tf.scalar(this.learningRate);
    if (!excluded) {
      const wNorm = tf.norm(value);
      const gNorm = tf.norm(g);
      const bothPositive = tf.logicalAnd(tf.greater(wNorm, 0), tf.greater(gNorm, 0));
      // The division is guarded so a zero gradient never produces NaN even in the unused branch.
      const trust = tf.where(bothPositive, tf.div(tf.mul(wNorm, this.eta), tf.maximum(gNorm, 1e-30)), tf.scalar(1));
      scaledLr = tf.mul(trust, this.learningRate);
    }
    const nextVelocity = tf.add(tf.mul(velocity, this.momentum), tf.mul(g, scaledLr));
    velocity.assign(nextVelocity);
    value.assign(tf.sub(value, nextVelocity));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), eta: this.eta };
  }
}

/**
 * SGD with Nesterov momentum and coupled L2 weight decay, as the official `momentum` optimizer
 * (Keras SGD with nesterov=True, the L2 term in the loss): g = grad + wd·w (unless excluded);
 * u = momentum·u + lr·g; w = w − (momentum·u + lr·g). (u is Keras's velocity with the sign flipped.)
 */
export class SgdMomentum extends SlotOptimizer {
  static get className(): string {
    return 'SgdMomentum';
  }
  protected readonly slotNames = ['momentum'] as const;

  protected updateVariable(name: string, value: tf.Variable, gradient: tf.Tensor, slots: Map<string, tf.Variable>, _step: number): void {
    const velocity = slots.get('momentum')!;
    const g = this.usesWeightDecay(name) ? tf.add(gradient, tf.mul(value, this.weightDecay)) : gradient;
    const scaled = tf.mul(g, this.learningRate);
    const nextVelocity = tf.add(tf.mul(velocity, this.momentum), scaled);
    velocity.assign(nextVelocity);
    value.assign(tf.sub(value, tf.add(tf.mul(nextVelocity, this.momentum), scaled)));
  }
}

/**
 * Adam with L2 weight decay, as the official `adam` (Keras Adam, beta2 0.999, epsilon 1e-7, the L2
 * term wd·‖w‖²/2 in the loss): g = grad + wd·w (unless excluded), then bias-corrected Adam on g,
 * beta1 = `momentum`. The decay passes through Adam's per-coordinate scaling, unlike AdamW's.
 */
export class AdamL2 extends SlotOptimizer {
  static get className(): string {
    return 'AdamL2';
  }
  beta2 = 0.999;
  epsilon = 1e-7;
  protected readonly slotNames = ['m', 'v'] as const;

  protected updateVariable(name: string, value: tf.Variable, gradient: tf.Tensor, slots: Map<string, tf.Variable>, step: number): void {
    const g = this.usesWeightDecay(name) ? tf.add(gradient, tf.mul(value, this.weightDecay)) : gradient;
    const update = adamDirection(g, slots, this.momentum, this.beta2, this.epsilon, step);
    value.assign(tf.sub(value, tf.mul(update, this.learningRate)));
  }
}

/** Updates Adam's moments in `slots` and returns the bias-corrected direction m̂/(√v̂ + ε). */
function adamDirection(
  gradient: tf.Tensor,
  slots: Map<string, tf.Variable>,
  beta1: number,
  beta2: number,
  epsilon: number,
  step: number,
): tf.Tensor {
  const m = slots.get('m')!;
  const v = slots.get('v')!;
  const nextM = tf.add(tf.mul(m, beta1), tf.mul(gradient, 1 - beta1));
  const nextV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(gradient), 1 - beta2));
  m.assign(nextM);
  v.assign(nextV);
  const mHat = tf.div(nextM, 1 - beta1 ** step);
  const vHat = tf.div(nextV, 1 - beta2 ** step);
  return tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon));
}

/**
 * Adam with decoupled weight decay (AdamW, Loshchilov & Hutter): beta1 = `momentum`, beta2 = 0.999,
 * epsilon = 1e-8, bias-corrected moments; w = w − lr·(m̂/(√v̂ + ε) + wd·w), decay skipped for excluded
 * variables. Decoupled rather than L2 because with Adam an L2 term is rescaled per coordinate and
 * stops acting as a decay.
 */
export class AdamW extends SlotOptimizer {
  static get className(): string {
    return 'AdamW';
  }
  beta2 = 0.999;
  epsilon = 1e-8;
  protected readonly slotNames = ['m', 'v'] as const;

  protected updateVariable(name: string, value: tf.Variable, gradient: tf.Tensor, slots: Map<string, tf.Variable>, step: number): void {
    let update = adamDirection(gradient, slots, this.momentum, this.beta2, this.epsilon, step);
    if (this.usesWeightDecay(name)) update = tf.add(update, tf.mul(value, this.weightDecay));
    value.assign(tf.sub(value, tf.mul(update, this.learningRate)));
  }
}

tf.serialization.registerClass(Lars);
tf.serialization.registerClass(SgdMomentum);
tf.serialization.registerClass(AdamW);
tf.serialization.registerClass(AdamL2);

export function createOptimizer(name: OptimizerName, options: OptimizerOptions): SlotOptimizer {
  switch (name) {
    case 'lars':
      return new Lars(options);
    case 'sgd':
      return new SgdMomentum(options);
    case 'adam':
      return new AdamL2(options);
    case 'adamw':
      return new AdamW(options);
    default:
      throw new Error(`unknown optimizer "${String(name)}" (expected lars, sgd, adam or adamw)`);
  }
}

/**
 * What each optimiser leaves out of weight decay (and LARS out of the trust ratio), as the official
 * code: LARS excludes BN parameters, biases and the supervised head from both (the head's kernel gets
 * its decay as an L2 term in the loss instead: `supervisedHeadL2`); the official `momentum` and
 * `adam` put L2 on every weight but BN parameters (biases and the head included); AdamW (not
 * official) skips biases and BN parameters, the usual choice for decoupled decay.
 */
export function weightDecayExclusions(
  name: OptimizerName,
): Pick<OptimizerOptions, 'excludeFromWeightDecay' | 'excludeFromLayerAdaptation'> {
  if (name === 'lars') {
    const excluded = (v: string) => isExcludedFromDecay(v) || isSupervisedHead(v);
    return { excludeFromWeightDecay: excluded, excludeFromLayerAdaptation: excluded };
  }
  if (name === 'adamw') return { excludeFromWeightDecay: isExcludedFromDecay };
  return { excludeFromWeightDecay: isBatchNormParameter };
}

/**
 * The L2 term wd·Σ‖kernel‖²/2 over the supervised head's kernels among `variables`, added to the loss
 * when the optimiser is LARS (official `add_weight_decay` with adjust_per_optimizer); null otherwise,
 * the other optimisers applying the decay themselves.
 */
export function supervisedHeadL2(name: OptimizerName, weightDecay: number, variables: readonly tf.Variable[]): tf.Scalar | null {
  if (name !== 'lars' || weightDecay === 0) return null;
  const kernels = variables.filter((v) => isSupervisedHead(v.name) && v.name.endsWith('/kernel'));
  if (kernels.length === 0) return null;
  return tf.tidy(() => tf.mul(tf.addN(kernels.map((k) => tf.sum(tf.square(k)))), weightDecay / 2) as tf.Scalar);
}
