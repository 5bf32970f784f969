import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { BatchNorm, Dense } from './layers';
import type { ParameterStore } from './parameters';

/**
 * SimCLRv2 projection head g(·), as the official tf2/model.py: `layers` dense layers without bias,
 * each followed by BN. Hidden layers keep the input width, their BN has beta, then ReLU. The last
 * layer projects to `outputDim`, its BN has no beta (center=False) and no ReLU follows.
 * `layers = 0` → z = h. Dense kernels start as N(0, 0.01²) like the official LinearLayer.
 *
 * Layer j is named `<path>/dense<j>/kernel` and `<path>/bn<j>/{gamma,beta,movingMean,movingVariance}`.
 */
export interface ProjectionHeadSpec {
  projectionLayers: number;
  projectionDim: number;
}

export class ProjectionHead {
  private readonly layers: { dense: Dense; bn: BatchNorm; relu: boolean }[] = [];

  /**
   * `build` limits how many of the head's layers exist (a classifier keeps only the first k); the
   * layers built are identical to those of the full head.
   */
  constructor(
    store: ParameterStore,
    path: string,
    readonly inputDim: number,
    readonly spec: ProjectionHeadSpec,
    rng: Rng,
    build: number = spec.projectionLayers,
  ) {
    if (!Number.isInteger(spec.projectionLayers) || spec.projectionLayers < 0) {
      throw new Error(`projectionLayers must be a non-negative integer, got ${spec.projectionLayers}`);
    }
    if (!Number.isInteger(build) || build < 0 || build > spec.projectionLayers) {
      throw new Error(`Cannot keep ${build} projection layers of a head with ${spec.projectionLayers}`);
    }
    for (let j = 0; j < build; j++) {
      const last = j === spec.projectionLayers - 1;
      const outDim = last ? spec.projectionDim : inputDim;
      this.layers.push({
        // Scaled to the input width rather than the official N(0, 0.01²): BN after it makes the scale
        // irrelevant to the forward pass, but tiny weights give SGD and Adam huge effective steps.
        dense: new Dense(store, `${path}/dense${j}`, inputDim, outDim, rng, { useBias: false, initStddev: Math.sqrt(1 / inputDim) }),
        bn: new BatchNorm(store, `${path}/bn${j}`, outDim, { center: !last }),
        relu: !last,
      });
    }
  }

  get builtLayers(): number {
    return this.layers.length;
  }

  /** Width after the first k layers (k = 0 → the input width). */
  widthAfter(k: number): number {
    if (k === 0) return this.inputDim;
    return k === this.spec.projectionLayers ? this.spec.projectionDim : this.inputDim;
  }

  /** Output of the first k layers (the official `hiddens_list[k]`: hidden outputs after ReLU). */
  apply(h: tf.Tensor2D, training: boolean, k: number = this.layers.length): tf.Tensor2D {
    if (!Number.isInteger(k) || k < 0 || k > this.layers.length) {
      throw new Error(`Projection head has ${this.layers.length} layers; cannot apply ${k}`);
    }
    let y = h;
    for (const layer of this.layers.slice(0, k)) {
      y = layer.bn.apply(layer.dense.apply(y), training);
      if (layer.relu) y = tf.relu(y);
    }
    return y;
  }
}
