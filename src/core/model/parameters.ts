import * as tf from '@tensorflow/tfjs';
import type { TensorRecord } from '../types';

/**
 * Owns the tf.Variables of one model, keyed by readable paths (`encoder/stem/conv/kernel`).
 *
 * tfjs needs globally unique variable names, so each variable is registered as
 * `<prefix>/<path>` with a prefix unique to this store; checkpoints, weight copies and the optimiser
 * exclusion predicate (names containing 'bias', 'beta', 'gamma') see the readable path.
 */

let storeCounter = 0;

export interface Parameter {
  path: string;
  variable: tf.Variable;
  trainable: boolean;
}

export interface ParameterStoreOptions {
  /**
   * Initial values by path (cloned into new variables instead of running the initialiser): how a
   * classifier copies a pretrained encoder without drawing a random init first.
   */
  source?: ReadonlyMap<string, tf.Tensor>;
  /** Fill every variable with zeros (skip random init): for counting parameters of large nets. */
  zeroInit?: boolean;
}

export class ParameterStore {
  readonly prefix: string;
  private readonly parameters = new Map<string, Parameter>();
  private readonly options: ParameterStoreOptions;
  private disposed = false;

  constructor(kind: string, options: ParameterStoreOptions = {}) {
    storeCounter += 1;
    this.prefix = `${kind}${storeCounter}`;
    this.options = options;
  }

  /** Creates a variable; `init` is only called when neither `source` nor `zeroInit` supplies the value. */
  create(path: string, shape: number[], trainable: boolean, init: () => tf.Tensor): tf.Variable {
    if (this.parameters.has(path)) throw new Error(`Parameter "${path}" is defined twice`);
    const initial = tf.tidy(() => {
      const copied = this.options.source?.get(path);
      if (copied !== undefined) {
        assertShape(path, copied.shape, shape, 'source');
        return copied.clone();
      }
      if (this.options.zeroInit) return tf.zeros(shape);
      const value = init();
      assertShape(path, value.shape, shape, 'initialiser');
      return value;
    });
    const variable = tf.variable(initial, trainable, `${this.prefix}/${path}`, 'float32');
    initial.dispose();
    this.parameters.set(path, { path, variable, trainable });
    return variable;
  }

  list(): Parameter[] {
    this.assertAlive();
    return [...this.parameters.values()];
  }

  trainableVariables(): tf.Variable[] {
    return this.list()
      .filter((p) => p.trainable)
      .map((p) => p.variable);
  }

  /** Readable path of one of this store's variables (e.g. for keying optimiser state). */
  pathOf(variable: tf.Variable): string {
    const prefix = `${this.prefix}/`;
    if (!variable.name.startsWith(prefix) || !this.parameters.has(variable.name.slice(prefix.length))) {
      throw new Error(`Variable "${variable.name}" does not belong to this model`);
    }
    return variable.name.slice(prefix.length);
  }

  /** The current values by path (no copies: valid until the variables change or are disposed). */
  values(): Map<string, tf.Tensor> {
    return new Map(this.list().map((p) => [p.path, p.variable as tf.Tensor]));
  }

  getWeights(): Record<string, TensorRecord> {
    const out: Record<string, TensorRecord> = {};
    for (const p of this.list()) {
      out[p.path] = { shape: [...p.variable.shape], data: Float32Array.from(p.variable.dataSync()) };
    }
    return out;
  }

  async getWeightsAsync(): Promise<Record<string, TensorRecord>> {
    const out: Record<string, TensorRecord> = {};
    for (const p of this.list()) {
      const data = await p.variable.data();
      out[p.path] = { shape: [...p.variable.shape], data: Float32Array.from(data as Float32Array) };
    }
    return out;
  }

  /**
   * Assigns weights by path. Every variable must be present unless `partial`; unknown paths and
   * shape mismatches are errors either way (nothing is assigned when any check fails).
   */
  setWeights(weights: Record<string, TensorRecord>, options: { partial?: boolean } = {}): void {
    const problems: string[] = [];
    for (const key of Object.keys(weights)) {
      if (!this.parameters.has(key)) problems.push(`unknown weight "${key}"`);
    }
    for (const p of this.list()) {
      const record = weights[p.path];
      if (record === undefined) {
        if (!options.partial) problems.push(`missing weight "${p.path}"`);
        continue;
      }
      const size = record.shape.reduce((a, b) => a * b, 1);
      if (!tf.util.arraysEqual(record.shape, p.variable.shape)) {
        problems.push(`weight "${p.path}" has shape [${record.shape}], expected [${p.variable.shape}]`);
      } else if (record.data.length !== size) {
        problems.push(`weight "${p.path}" has ${record.data.length} values, expected ${size}`);
      }
    }
    if (problems.length > 0) {
      // Names and shapes only disagree when the weights were saved for another architecture
      // (other depth, width, skRatio, head or image size, or by an earlier version of the encoder).
      const shown = problems.length > 8 ? [...problems.slice(0, 8), `and ${problems.length - 8} more`] : problems;
      throw new Error(`Cannot set weights: ${shown.join('; ')} (the weights were saved for a different architecture than this model's)`);
    }
    for (const p of this.list()) {
      const record = weights[p.path];
      if (record === undefined) continue;
      tf.tidy(() => p.variable.assign(tf.tensor(record.data, record.shape, 'float32')));
    }
  }

  parameterCount(trainableOnly = true): number {
    return this.list()
      .filter((p) => p.trainable || !trainableOnly)
      .reduce((sum, p) => sum + p.variable.size, 0);
  }

  dispose(): void {
    if (this.disposed) return;
    for (const p of this.parameters.values()) p.variable.dispose();
    this.parameters.clear();
    this.disposed = true;
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`Model ${this.prefix} has been disposed`);
  }
}

function assertShape(path: string, actual: number[], expected: number[], what: string): void {
  if (!tf.util.arraysEqual(actual, expected)) {
    throw new Error(`Parameter "${path}": ${what} has shape [${actual}], expected [${expected}]`);
  }
}
