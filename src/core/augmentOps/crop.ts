import type { Rng } from '../random';

/**
 * Random resized crop sampling, following TensorFlow's `sample_distorted_bounding_box` as the official
 * SimCLR code calls it (whole-image bounding box, min_object_covered = 0.1, aspect ratio range
 * [3/4, 4/3], area range [cropMinArea, 1], 100 attempts): the aspect ratio is uniform in its range, the
 * crop height is a uniform integer between the heights that give the minimum and maximum area, the
 * offsets are uniform integers, and when no attempt succeeds the whole image is used. Because the box
 * must cover at least `minObjectCovered` of the image, an area range below that bound is cut to it
 * (as in the official code, where 0.08 effectively becomes 0.1).
 */

export interface CropBox {
  /** Pixel offsets and size of the crop inside the source image. */
  top: number;
  left: number;
  height: number;
  width: number;
  /** Crop area / image area. */
  areaFraction: number;
  /** Crop width / crop height. */
  aspectRatio: number;
  /** True when all attempts failed and the whole image was used. */
  fallback: boolean;
}

export interface CropSamplingOptions {
  minArea: number;
  maxArea?: number;
  aspectRange: [number, number];
  minObjectCovered?: number;
  maxAttempts?: number;
}

/** C's lrintf in the default rounding mode: round half to even. */
export function roundHalfEven(x: number): number {
  const rounded = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** One attempt of TF's GenerateRandomCrop; null when the constraints cannot be met. */
function generateRandomCrop(
  imageHeight: number,
  imageWidth: number,
  minArea: number,
  maxArea: number,
  aspect: number,
  rng: Rng,
): Omit<CropBox, 'areaFraction' | 'aspectRatio' | 'fallback'> | null {
  const minPixels = minArea * imageWidth * imageHeight;
  const maxPixels = maxArea * imageWidth * imageHeight;
  let height = roundHalfEven(Math.sqrt(minPixels / aspect));
  let maxHeight = roundHalfEven(Math.sqrt(maxPixels / aspect));
  if (roundHalfEven(maxHeight * aspect) > imageWidth) {
    maxHeight = Math.floor((imageWidth + 0.5 - 1e-7) / aspect);
    if (roundHalfEven(maxHeight * aspect) > imageWidth) maxHeight -= 1;
  }
  maxHeight = Math.min(maxHeight, imageHeight);
  if (height >= maxHeight) height = maxHeight;
  if (height < maxHeight) height += rng.int(maxHeight - height + 1);
  let width = roundHalfEven(height * aspect);
  let area = width * height;
  // Rounding can push the area just outside the range: try one pixel taller, then one shorter.
  if (area < minPixels) {
    height += 1;
    width = roundHalfEven(height * aspect);
    area = width * height;
  }
  if (area > maxPixels) {
    height -= 1;
    width = roundHalfEven(height * aspect);
    area = width * height;
  }
  if (area < minPixels || area > maxPixels || width > imageWidth || height > imageHeight || width <= 0 || height <= 0) return null;
  // TF draws offsets in [0, size - crop - 1] (its Uniform(n) excludes n), so we do too.
  const top = height < imageHeight ? rng.int(imageHeight - height) : 0;
  const left = width < imageWidth ? rng.int(imageWidth - width) : 0;
  return { top, left, height, width };
}

export function sampleCropBox(imageHeight: number, imageWidth: number, options: CropSamplingOptions, rng: Rng): CropBox {
  const { minArea, maxArea = 1, aspectRange, minObjectCovered = 0.1, maxAttempts = 100 } = options;
  if (!(minArea > 0 && minArea <= maxArea && maxArea <= 1))
    throw new Error(`crop area range must satisfy 0 < min <= max <= 1, got [${minArea}, ${maxArea}]`);
  if (!(aspectRange[0] > 0 && aspectRange[0] <= aspectRange[1]))
    throw new Error(`crop aspect range must satisfy 0 < min <= max, got [${aspectRange}]`);
  const imagePixels = imageHeight * imageWidth;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const aspect = aspectRange[0] + rng.next() * (aspectRange[1] - aspectRange[0]);
    const crop = generateRandomCrop(imageHeight, imageWidth, minArea, maxArea, aspect, rng);
    if (crop !== null && (crop.height * crop.width) / imagePixels >= minObjectCovered) {
      return { ...crop, areaFraction: (crop.height * crop.width) / imagePixels, aspectRatio: crop.width / crop.height, fallback: false };
    }
  }
  return {
    top: 0,
    left: 0,
    height: imageHeight,
    width: imageWidth,
    areaFraction: 1,
    aspectRatio: imageWidth / imageHeight,
    fallback: true,
  };
}

/** Share of the shorter side the official evaluation crop keeps (tf2/data_util.py CROP_PROPORTION). */
export const EVAL_CROP_PROPORTION = 0.875;

/**
 * The official evaluation crop (data_util.center_crop for a square output): a square of side
 * rint(proportion × shorter side), offset ((size − side) + 1) // 2 on each axis; the caller then
 * resizes it to the input size.
 */
export function centreCropBox(imageHeight: number, imageWidth: number, proportion = EVAL_CROP_PROPORTION): CropBox {
  if (!(Number.isInteger(imageHeight) && Number.isInteger(imageWidth) && imageHeight > 0 && imageWidth > 0)) {
    throw new Error(`image size must be positive integers, got ${imageWidth}×${imageHeight}`);
  }
  if (!(proportion > 0 && proportion <= 1)) throw new Error(`crop proportion must be in (0, 1], got ${proportion}`);
  const side = Math.max(1, roundHalfEven(proportion * Math.min(imageHeight, imageWidth)));
  const top = Math.floor((imageHeight - side + 1) / 2);
  const left = Math.floor((imageWidth - side + 1) / 2);
  return {
    top,
    left,
    height: side,
    width: side,
    areaFraction: (side * side) / (imageHeight * imageWidth),
    aspectRatio: 1,
    fallback: false,
  };
}
