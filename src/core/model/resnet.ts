import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import { BatchNorm, Conv2d, Dense } from './layers';
import type { ParameterStore } from './parameters';

/**
 * ResNet encoders as the official SimCLRv2 code builds them (tf2/resnet.py: post-activation ResNet
 * v1.5, the stride sits in the 3x3 conv).
 *
 * - Depth 18/34: basic blocks [2,2,2,2] / [3,4,6,3]; 50/101/152: bottleneck blocks (expansion 4)
 *   [3,4,6,3] / [3,4,23,3] / [3,8,36,3]. Stage widths 64/128/256/512 × widthMultiplier
 *   (Math.max(1, Math.round(c·w))).
 * - Stem: images ≤ 32 px get the CIFAR stem (3x3 stride-1 conv + BN + ReLU, no max-pool), as the
 *   official model's `cifar_stem = image_size <= 32`; larger ones a 7x7 stride-2 conv + BN + ReLU +
 *   3x3 stride-2 max-pool.
 * - The first block of every stage has a projection shortcut (1x1 conv with the block's stride +
 *   BN), whether or not the shape changes (so ResNet-18/34 have one in block1_1 too, unlike
 *   torchvision); the other blocks add their input unchanged.
 * - The last BN of every residual block starts with gamma = 0.
 * - skRatio > 0 switches on, at every depth, ResNet-D: the projection shortcut becomes
 *   avg-pool(2, stride) + stride-1 1x1 conv + BN, and the large-image stem three 3x3 convs
 *   (32w stride 2, 32w, 64w, each + BN + ReLU) before the max-pool. Selective kernels themselves
 *   replace the 3x3 conv of bottleneck blocks only (basic blocks keep their two plain 3x3 convs):
 *   one conv to 2× channels + BN + ReLU split into two branches, mixed by attention (global pool
 *   of the branch sum → 1x1 conv to max(channels·skRatio, 32) → BN + ReLU → 1x1 conv to 2×
 *   channels → softmax over the two branches).
 * - Output: global average pool → features of width `featureDim`.
 *
 * Variables are named `<path>/stem/...`, `<path>/block<stage>_<i>/{conv,bn}<k>`, `.../sk/...` and
 * `.../shortcut/{conv,bn}`; checkpoints key on these names, so a checkpoint written for a different
 * architecture fails to load with the missing/unexpected names listed (ParameterStore.setWeights).
 */

export type ResnetDepth = 18 | 34 | 50 | 101 | 152;

export interface EncoderSpec {
  depth: ResnetDepth;
  widthMultiplier: number;
  /**
   * Selective-kernel ratio (0 = off). Any value > 0 gives every depth the ResNet-D stem and
   * shortcuts; the SK convolutions themselves exist in bottleneck blocks (depth ≥ 50) only.
   */
  skRatio: number;
  /** Input side in pixels; decides the stem. */
  imageSize: number;
}

const ARCHITECTURES: Record<ResnetDepth, { bottleneck: boolean; blocks: [number, number, number, number] }> = {
  18: { bottleneck: false, blocks: [2, 2, 2, 2] },
  34: { bottleneck: false, blocks: [3, 4, 6, 3] },
  50: { bottleneck: true, blocks: [3, 4, 6, 3] },
  101: { bottleneck: true, blocks: [3, 4, 23, 3] },
  152: { bottleneck: true, blocks: [3, 8, 36, 3] },
};

const STAGE_CHANNELS = [64, 128, 256, 512];
const BOTTLENECK_EXPANSION = 4;
const SK_MIN_MID_CHANNELS = 32;

export function scaledChannels(channels: number, widthMultiplier: number): number {
  return Math.max(1, Math.round(channels * widthMultiplier));
}

/**
 * Channels of the four stages at `widthMultiplier` (64/128/256/512 × w, rounded, at least 1): the
 * width of basic blocks and of a bottleneck's 3x3 conv (its output is 4× that). The stem has stage
 * 1's width. Whatever sizes a ResNet outside this file (benchmarks) takes its widths from here.
 */
export function stageChannels(widthMultiplier: number): [number, number, number, number] {
  const [c1, c2, c3, c4] = STAGE_CHANNELS.map((c) => scaledChannels(c, widthMultiplier));
  return [c1, c2, c3, c4];
}

/** The official rule (tf2/model.py: `cifar_stem=FLAGS.image_size <= 32`). */
export const CIFAR_STEM_MAX_IMAGE_SIZE = 32;

export function usesCifarStem(imageSize: number): boolean {
  return imageSize <= CIFAR_STEM_MAX_IMAGE_SIZE;
}

/** Width of the encoder's output features h. */
export function encoderFeatureDim(spec: EncoderSpec): number {
  const arch = ARCHITECTURES[spec.depth];
  if (!arch) throw new Error(`Unsupported ResNet depth ${spec.depth} (expected 18, 34, 50, 101 or 152)`);
  const last = stageChannels(spec.widthMultiplier)[3];
  return arch.bottleneck ? last * BOTTLENECK_EXPANSION : last;
}

interface Block {
  readonly outChannels: number;
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

/** Conv + BN (+ ReLU), the unit everything below is made of. */
class ConvBn {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(
    store: ParameterStore,
    convPath: string,
    bnPath: string,
    kernelSize: number,
    inChannels: number,
    outChannels: number,
    stride: number,
    rng: Rng,
    private readonly relu: boolean,
    zeroGamma = false,
  ) {
    this.conv = new Conv2d(store, convPath, kernelSize, inChannels, outChannels, stride, rng);
    this.bn = new BatchNorm(store, bnPath, outChannels, { zeroGamma });
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const y = this.bn.apply(this.conv.apply(x), training);
    return this.relu ? tf.relu(y) : y;
  }
}

/** The projection shortcut; ResNet-D style (avg-pool then stride-1 conv) when skRatio > 0. */
class ProjectionShortcut {
  private readonly convBn: ConvBn;

  constructor(
    store: ParameterStore,
    path: string,
    inChannels: number,
    outChannels: number,
    private readonly stride: number,
    private readonly avgPoolFirst: boolean,
    rng: Rng,
  ) {
    const convStride = avgPoolFirst ? 1 : stride;
    this.convBn = new ConvBn(store, `${path}/conv`, `${path}/bn`, 1, inChannels, outChannels, convStride, rng, false);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let input = x;
    if (this.avgPoolFirst) {
      // As the official code: stride 2 pads one pixel at the end then pools 2x2 'valid';
      // stride 1 pools 2x2 'same'.
      input =
        this.stride > 1
          ? tf.avgPool(
              tf.pad(x, [
                [0, 0],
                [0, 1],
                [0, 1],
                [0, 0],
              ]),
              2,
              this.stride,
              'valid',
            )
          : tf.avgPool(x, 2, 1, 'same');
    }
    return this.convBn.apply(input, training);
  }
}

/** What a block is built from: its input width, its width, stride and shortcut. */
export interface BlockSpec {
  inChannels: number;
  /** Width of the block's convolutions (a bottleneck block outputs 4× this). */
  channels: number;
  stride: number;
  /** Projection shortcut (the first block of every stage, as the official BlockGroup) or identity. */
  projection: boolean;
  /** > 0: ResNet-D shortcut, and selective kernels in bottleneck blocks. */
  skRatio: number;
}

function makeShortcut(store: ParameterStore, path: string, spec: BlockSpec, outChannels: number, rng: Rng): ProjectionShortcut | null {
  if (spec.projection) {
    return new ProjectionShortcut(store, `${path}/shortcut`, spec.inChannels, outChannels, spec.stride, spec.skRatio > 0, rng);
  }
  if (spec.stride !== 1 || spec.inChannels !== outChannels) {
    throw new Error(
      `Block ${path}: an identity shortcut needs stride 1 and equal widths (got stride ${spec.stride}, ${spec.inChannels} → ${outChannels} channels); use a projection`,
    );
  }
  return null;
}

export class BasicBlock implements Block {
  readonly outChannels: number;
  private readonly first: ConvBn;
  private readonly second: ConvBn;
  private readonly shortcut: ProjectionShortcut | null;

  constructor(store: ParameterStore, path: string, spec: BlockSpec, rng: Rng) {
    const { inChannels, channels, stride } = spec;
    this.outChannels = channels;
    this.shortcut = makeShortcut(store, path, spec, channels, rng);
    this.first = new ConvBn(store, `${path}/conv1`, `${path}/bn1`, 3, inChannels, channels, stride, rng, true);
    this.second = new ConvBn(store, `${path}/conv2`, `${path}/bn2`, 3, channels, channels, 1, rng, false, true);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const shortcut = this.shortcut ? this.shortcut.apply(x, training) : x;
    const residual = this.second.apply(this.first.apply(x, training), training);
    return tf.relu(tf.add<tf.Tensor4D>(residual, shortcut));
  }
}

/** Selective-kernel 3x3 convolution (two 3x3 branches computed as one conv, attention-mixed). */
export class SelectiveKernelConv {
  private readonly branches: ConvBn;
  private readonly fuse: Dense;
  private readonly fuseBn: BatchNorm;
  private readonly select: Dense;

  constructor(
    store: ParameterStore,
    path: string,
    inChannels: number,
    private readonly channels: number,
    stride: number,
    skRatio: number,
    rng: Rng,
  ) {
    const mid = Math.max(Math.floor(channels * skRatio), SK_MIN_MID_CHANNELS);
    this.branches = new ConvBn(store, `${path}/conv`, `${path}/bn`, 3, inChannels, 2 * channels, stride, rng, true);
    // The official 1x1 convs act on 1x1 pooled maps, so they are dense layers here.
    this.fuse = new Dense(store, `${path}/fuse`, channels, mid, rng, { useBias: false, heInit: true });
    this.fuseBn = new BatchNorm(store, `${path}/fuseBn`, mid);
    this.select = new Dense(store, `${path}/select`, mid, 2 * channels, rng, { useBias: false, heInit: true });
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const both = this.branches.apply(x, training);
    const [a, b] = tf.split(both, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    const pooled = tf.mean(tf.add(a, b), [1, 2]) as tf.Tensor2D;
    const fused = tf.relu(this.fuseBn.apply(this.fuse.apply(pooled), training));
    const logits = this.select.apply(fused);
    const [logitA, logitB] = tf.split(logits, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    // A softmax over two branches is the sigmoid of the logit difference.
    const weightA = tf.reshape(tf.sigmoid(tf.sub(logitA, logitB)), [x.shape[0], 1, 1, this.channels]);
    return tf.add<tf.Tensor4D>(b, tf.mul(weightA, tf.sub(a, b)));
  }
}

export class BottleneckBlock implements Block {
  readonly outChannels: number;
  private readonly reduce: ConvBn;
  private readonly spatial: ConvBn | SelectiveKernelConv;
  private readonly expand: ConvBn;
  private readonly shortcut: ProjectionShortcut | null;

  constructor(store: ParameterStore, path: string, spec: BlockSpec, rng: Rng) {
    const { inChannels, channels, stride, skRatio } = spec;
    this.outChannels = channels * BOTTLENECK_EXPANSION;
    this.shortcut = makeShortcut(store, path, spec, this.outChannels, rng);
    this.reduce = new ConvBn(store, `${path}/conv1`, `${path}/bn1`, 1, inChannels, channels, 1, rng, true);
    this.spatial =
      skRatio > 0
        ? new SelectiveKernelConv(store, `${path}/sk`, channels, channels, stride, skRatio, rng)
        : new ConvBn(store, `${path}/conv2`, `${path}/bn2`, 3, channels, channels, stride, rng, true);
    this.expand = new ConvBn(store, `${path}/conv3`, `${path}/bn3`, 1, channels, this.outChannels, 1, rng, false, true);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const shortcut = this.shortcut ? this.shortcut.apply(x, training) : x;
    const residual = this.expand.apply(this.spatial.apply(this.reduce.apply(x, training), training), training);
    return tf.relu(tf.add<tf.Tensor4D>(residual, shortcut));
  }
}

/** The stem: CIFAR (3x3/1), ImageNet (7x7/2 + max-pool) or ResNet-D (three 3x3 + max-pool). */
export class Stem {
  readonly outChannels: number;
  private readonly layers: ConvBn[];
  private readonly maxPool: boolean;

  constructor(store: ParameterStore, path: string, spec: EncoderSpec, resnetD: boolean, rng: Rng) {
    const channels = stageChannels(spec.widthMultiplier)[0];
    this.outChannels = channels;
    if (usesCifarStem(spec.imageSize)) {
      this.layers = [new ConvBn(store, `${path}/conv`, `${path}/bn`, 3, 3, channels, 1, rng, true)];
      this.maxPool = false;
    } else if (resnetD) {
      const half = scaledChannels(32, spec.widthMultiplier);
      this.layers = [
        new ConvBn(store, `${path}/conv1`, `${path}/bn1`, 3, 3, half, 2, rng, true),
        new ConvBn(store, `${path}/conv2`, `${path}/bn2`, 3, half, half, 1, rng, true),
        new ConvBn(store, `${path}/conv3`, `${path}/bn3`, 3, half, channels, 1, rng, true),
      ];
      this.maxPool = true;
    } else {
      this.layers = [new ConvBn(store, `${path}/conv`, `${path}/bn`, 7, 3, channels, 2, rng, true)];
      this.maxPool = true;
    }
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let y = x;
    for (const layer of this.layers) y = layer.apply(y, training);
    return this.maxPool ? tf.maxPool(y, 3, 2, 'same') : y;
  }
}

/** The encoder f(·): images N×H×W×3 in [0,1] → features h, N×featureDim. */
export class ResnetEncoder {
  readonly featureDim: number;
  readonly blocks: Block[] = [];
  private readonly stem: Stem;

  constructor(
    store: ParameterStore,
    path: string,
    readonly spec: EncoderSpec,
    rng: Rng,
  ) {
    const arch = ARCHITECTURES[spec.depth];
    if (!arch) throw new Error(`Unsupported ResNet depth ${spec.depth} (expected 18, 34, 50, 101 or 152)`);
    if (!(spec.widthMultiplier > 0)) throw new Error(`widthMultiplier must be positive, got ${spec.widthMultiplier}`);
    if (!(spec.skRatio >= 0)) throw new Error(`skRatio must be ≥ 0, got ${spec.skRatio}`);
    this.stem = new Stem(store, `${path}/stem`, spec, spec.skRatio > 0, rng);
    let inChannels = this.stem.outChannels;
    const widths = stageChannels(spec.widthMultiplier);
    arch.blocks.forEach((count, stage) => {
      const channels = widths[stage];
      for (let i = 0; i < count; i++) {
        const blockPath = `${path}/block${stage + 1}_${i + 1}`;
        const blockSpec: BlockSpec = {
          inChannels,
          channels,
          stride: stage > 0 && i === 0 ? 2 : 1,
          projection: i === 0,
          skRatio: spec.skRatio,
        };
        const block = arch.bottleneck
          ? new BottleneckBlock(store, blockPath, blockSpec, rng)
          : new BasicBlock(store, blockPath, blockSpec, rng);
        this.blocks.push(block);
        inChannels = block.outChannels;
      }
    });
    this.featureDim = inChannels;
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor2D {
    this.checkInput(x);
    let y = this.stem.apply(x, training);
    for (const block of this.blocks) y = block.apply(y, training);
    return tf.mean(y, [1, 2]) as tf.Tensor2D;
  }

  /** The stem's output and each stage's last feature map (for inspection; the caller disposes them). */
  featureMaps(x: tf.Tensor4D, training: boolean): { stem: tf.Tensor4D; stages: tf.Tensor4D[] } {
    this.checkInput(x);
    const stem = this.stem.apply(x, training);
    const stages: tf.Tensor4D[] = [];
    let y = stem;
    let index = 0;
    for (const count of ARCHITECTURES[this.spec.depth].blocks) {
      y = tf.tidy(() => {
        let z = y;
        for (let i = 0; i < count; i++) z = this.blocks[index + i].apply(z, training);
        return z;
      });
      index += count;
      stages.push(y);
    }
    return { stem, stages };
  }

  private checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4 || x.shape[3] !== 3) throw new Error(`Encoder expects N×H×W×3 images, got shape [${x.shape}]`);
  }
}
