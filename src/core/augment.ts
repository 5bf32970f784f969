import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from './config';
import type { Rng } from './random';
import { blurRadius, gaussianBlur } from './augmentOps/blur';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, toGrayscale } from './augmentOps/color';
import { sampleCropBox, type CropBox } from './augmentOps/crop';
import { cropResizeBicubic } from './augmentOps/resize';

export { blurRadius, gaussianBlur, gaussianKernel } from './augmentOps/blur';
export {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  hsvToRgb,
  rgbToHsv,
  toGrayscale,
  LUMA_WEIGHTS,
} from './augmentOps/color';
export { EVAL_CROP_PROPORTION, centreCropBox, roundHalfEven, sampleCropBox, type CropBox } from './augmentOps/crop';
export { bicubicAxisWeights, cropResizeBicubic, keysCubic } from './augmentOps/resize';

/**
 * SimCLR's data augmentation, batched: every random choice is drawn per image in JS from a seeded Rng
 * (so a seed gives the same views on every backend), then applied as batched tensor ops. Order as in
 * the official `preprocess_for_train` + batch blur: random resized crop → horizontal flip → colour jitter
 * (p, random order per image) → grayscale (p) → Gaussian blur (p) → clip to [0, 1].
 */
export interface AugmentOptions {
  /** Output height = width. */
  imageSize: number;
  /** Lower end of the crop area range (fraction of the image). */
  cropMinArea: number;
  /** Crop aspect ratio (width/height) range. Default [3/4, 4/3]. */
  cropAspect?: [number, number];
  /**
   * false: the images arrive already random-resized-cropped (a loader cropped them on the full-size
   * image, see DatasetSplit.readRandomCrops), so the crop is the whole image. Default true.
   */
  crop?: boolean;
  /** The crop must cover at least this fraction of the image (TF's min_object_covered; official 0.1). */
  cropMinObjectCovered?: number;
  flip: boolean;
  /** s: brightness, contrast and saturation 0.8·s, hue 0.2·s. 0 turns colour jitter off. */
  colorJitterStrength: number;
  /** Probability of applying the colour jitter to an image (official 0.8). */
  colorJitterProbability: number;
  grayscaleProbability: number;
  blurProbability: number;
}

export const DEFAULT_CROP_ASPECT: [number, number] = [3 / 4, 4 / 3];

export function pretrainAugmentOptions(config: RunConfig): AugmentOptions {
  return {
    imageSize: config.dataset.imageSize,
    cropMinArea: config.pretrain.cropMinArea,
    cropAspect: DEFAULT_CROP_ASPECT,
    flip: true,
    colorJitterStrength: config.pretrain.colorJitterStrength,
    colorJitterProbability: 0.8,
    grayscaleProbability: config.pretrain.grayscaleProbability,
    blurProbability: config.pretrain.blurProbability,
  };
}

/** Fine-tuning and distillation: the official training crop (area [0.08, 1]) and flip only. */
export function finetuneAugmentOptions(config: RunConfig): AugmentOptions {
  return {
    imageSize: config.dataset.imageSize,
    cropMinArea: 0.08,
    cropAspect: DEFAULT_CROP_ASPECT,
    flip: true,
    colorJitterStrength: 0,
    colorJitterProbability: 0,
    grayscaleProbability: 0,
    blurProbability: 0,
  };
}

export type ColorOp = 'brightness' | 'contrast' | 'saturation' | 'hue';
export const COLOR_OPS: readonly ColorOp[] = ['brightness', 'contrast', 'saturation', 'hue'];

/** Everything random about one image's augmentation. */
export interface AugmentParams {
  crop: CropBox;
  flip: boolean;
  /** Colour ops in the order applied; empty when the jitter is skipped for this image. */
  colorOrder: ColorOp[];
  brightness: number;
  contrast: number;
  saturation: number;
  /** Hue rotation in turns. */
  hue: number;
  grayscale: boolean;
  /** Blur sigma, or null for no blur. */
  blurSigma: number | null;
}

/** Draws each image's parameters. Always consumes the same draws per image whatever is enabled. */
export function sampleAugmentParams(
  n: number,
  options: AugmentOptions,
  rng: Rng,
  sourceHeight = options.imageSize,
  sourceWidth = sourceHeight,
): AugmentParams[] {
  const s = options.colorJitterStrength;
  const b = 0.8 * s;
  const hueRange = Math.min(0.5, 0.2 * s);
  const params: AugmentParams[] = [];
  for (let i = 0; i < n; i++) {
    const crop =
      options.crop === false
        ? wholeImage(sourceHeight, sourceWidth)
        : sampleCropBox(
            sourceHeight,
            sourceWidth,
            {
              minArea: options.cropMinArea,
              aspectRange: options.cropAspect ?? DEFAULT_CROP_ASPECT,
              minObjectCovered: options.cropMinObjectCovered ?? 0.1,
            },
            rng,
          );
    const flip = rng.next() < 0.5 && options.flip;
    const jitter = rng.next() < options.colorJitterProbability && s > 0;
    const brightness = rng.uniform(Math.max(0, 1 - b), 1 + b);
    const contrast = rng.uniform(Math.max(0, 1 - b), 1 + b);
    const saturation = rng.uniform(Math.max(0, 1 - b), 1 + b);
    const hue = rng.uniform(-hueRange, hueRange);
    const order = rng.shuffle([...COLOR_OPS]);
    const grayscale = rng.next() < options.grayscaleProbability;
    const blur = rng.next() < options.blurProbability;
    const sigma = rng.uniform(0.1, 2.0);
    params.push({
      crop,
      flip,
      colorOrder: jitter ? order : [],
      brightness,
      contrast,
      saturation,
      hue,
      grayscale,
      blurSigma: blur ? sigma : null,
    });
  }
  return params;
}

function wholeImage(height: number, width: number): CropBox {
  return { top: 0, left: 0, height, width, areaFraction: 1, aspectRatio: width / height, fallback: false };
}

/** The crop boxes alone (for inspection and statistics). */
export function sampleCropBoxes(
  n: number,
  options: AugmentOptions,
  rng: Rng,
  sourceHeight = options.imageSize,
  sourceWidth = sourceHeight,
): CropBox[] {
  return sampleAugmentParams(n, options, rng, sourceHeight, sourceWidth).map((p) => p.crop);
}

/**
 * Applies `transform(subset, indices)` to the images listed in each group and puts every result back in
 * its original batch position; images in no group pass through unchanged.
 */
function applyByGroup(
  images: tf.Tensor4D,
  groups: { indices: number[]; transform: (subset: tf.Tensor4D, indices: number[]) => tf.Tensor4D }[],
): tf.Tensor4D {
  const n = images.shape[0];
  const used = new Set(groups.flatMap((g) => g.indices));
  const untouched = Array.from({ length: n }, (_, i) => i).filter((i) => !used.has(i));
  const active = groups.filter((g) => g.indices.length > 0);
  if (active.length === 0) return tf.clone(images);
  return tf.tidy(() => {
    const parts: tf.Tensor4D[] = [];
    const order: number[] = [];
    for (const group of active) {
      parts.push(group.transform(tf.gather(images, group.indices), group.indices));
      order.push(...group.indices);
    }
    if (untouched.length > 0) {
      parts.push(tf.gather(images, untouched));
      order.push(...untouched);
    }
    const inverse = new Array<number>(n);
    order.forEach((source, position) => (inverse[source] = position));
    return tf.gather(tf.concat(parts, 0), inverse) as tf.Tensor4D;
  });
}

/** Each colour op's kernel; it takes one factor per image, the parameter of the same name. */
const colorOpKernels: Record<ColorOp, (images: tf.Tensor4D, factors: number[]) => tf.Tensor4D> = {
  brightness: adjustBrightness,
  contrast: adjustContrast,
  saturation: adjustSaturation,
  hue: adjustHue,
};

function applyColorOp(op: ColorOp, images: tf.Tensor4D, params: AugmentParams[]): tf.Tensor4D {
  return colorOpKernels[op](
    images,
    params.map((p) => p[op]),
  );
}

/** Colour jitter in each image's own order: position by position, images grouped by their op there. */
function colorJitter(images: tf.Tensor4D, params: AugmentParams[]): tf.Tensor4D {
  const channels = images.shape[3];
  let current = tf.clone(images);
  for (let position = 0; position < COLOR_OPS.length; position++) {
    const groups = COLOR_OPS.filter((op) => channels === 3 || op === 'brightness' || op === 'contrast').map((op) => ({
      indices: params.flatMap((p, i) => (p.colorOrder[position] === op ? [i] : [])),
      transform: (subset: tf.Tensor4D, indices: number[]) =>
        applyColorOp(
          op,
          subset,
          indices.map((i) => params[i]),
        ),
    }));
    const next = applyByGroup(current, groups);
    current.dispose();
    current = next;
  }
  return current;
}

/**
 * Each image's crop, resized bicubically to size×size and flipped where drawn (official
 * crop_and_resize, see augmentOps/resize.ts). Images that arrive at the output size with a whole-image
 * crop (loader-cropped ImageNet views) are only flipped: the resize would be the identity.
 */
function cropAndResizeViews(images: tf.Tensor4D, params: AugmentParams[], size: number): tf.Tensor4D {
  const [, height, width] = images.shape;
  const whole = params.every((p) => p.crop.top === 0 && p.crop.left === 0 && p.crop.height === height && p.crop.width === width);
  if (whole && height === size && width === size) {
    return applyByGroup(images, [{ indices: params.flatMap((p, i) => (p.flip ? [i] : [])), transform: (subset) => tf.reverse(subset, 2) }]);
  }
  return cropResizeBicubic(
    images,
    params.map((p) => p.crop),
    params.map((p) => p.flip),
    size,
  );
}

/** Applies already-drawn parameters to images [n, H, W, C] (C = 1 or 3, values in [0, 1]). */
export function applyAugmentParams(images: tf.Tensor4D, params: AugmentParams[], options: AugmentOptions): tf.Tensor4D {
  const [n, , , channels] = images.shape;
  if (params.length !== n) throw new Error(`augment: ${params.length} parameter sets for ${n} images`);
  const size = options.imageSize;
  return tf.tidy(() => {
    const cropped = cropAndResizeViews(images, params, size);
    let x = colorJitter(cropped, params);
    if (channels === 3) {
      x = applyByGroup(x, [{ indices: params.flatMap((p, i) => (p.grayscale ? [i] : [])), transform: (subset) => toGrayscale(subset) }]);
    }
    // Cubic resizing can overshoot [0, 1]; the official pipeline clips here, before its batch blur.
    x = tf.clipByValue(x, 0, 1);
    const radius = blurRadius(size);
    if (radius > 0) {
      x = applyByGroup(x, [
        {
          indices: params.flatMap((p, i) => (p.blurSigma !== null ? [i] : [])),
          transform: (subset, indices) =>
            gaussianBlur(
              subset,
              indices.map((i) => params[i].blurSigma ?? 0),
              radius,
            ),
        },
      ]);
    }
    return tf.clipByValue(x, 0, 1);
  });
}

function assertImages(images: tf.Tensor): void {
  if (images.rank !== 4 || (images.shape[3] !== 1 && images.shape[3] !== 3)) {
    throw new Error(`augment expects images [n, H, W, 1|3], got [${images.shape}]`);
  }
}

/** One random augmentation of each image: [n, H, W, C] in [0, 1] → [n, imageSize, imageSize, C] in [0, 1]. */
export function augmentBatch(images: tf.Tensor4D, options: AugmentOptions, rng: Rng): tf.Tensor4D {
  assertImages(images);
  const params = sampleAugmentParams(images.shape[0], options, rng, images.shape[1], images.shape[2]);
  return applyAugmentParams(images, params, options);
}

/** Two independent augmentations of the same images (SimCLR's two views). */
export function twoViews(images: tf.Tensor4D, options: AugmentOptions, rng: Rng): [tf.Tensor4D, tf.Tensor4D] {
  const first = augmentBatch(images, options, rng);
  const second = augmentBatch(images, options, rng);
  return [first, second];
}
