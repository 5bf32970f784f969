/**
 * CPU image resizing for images that arrive at arbitrary sizes (the user's folders). Bilinear
 * (triangle) filtering whose support widens when shrinking, so a 500 px photo reduced to 32 px
 * averages all its pixels instead of aliasing (like PIL's BILINEAR).
 */

/** Weights of source pixels for each destination pixel along one axis (half-pixel centres). */
function axisWeights(srcStart: number, srcLength: number, dstLength: number): { first: Int32Array; weights: Float32Array[] } {
  const scale = srcLength / dstLength;
  const support = Math.max(1, scale);
  const first = new Int32Array(dstLength);
  const weights: Float32Array[] = [];
  for (let d = 0; d < dstLength; d++) {
    const centre = (d + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(srcLength - 1, Math.ceil(centre + support));
    const w = new Float32Array(hi - lo + 1);
    let total = 0;
    for (let s = lo; s <= hi; s++) {
      const value = Math.max(0, 1 - Math.abs(s + 0.5 - centre) / support);
      w[s - lo] = value;
      total += value;
    }
    if (total === 0) {
      // Only when the nearest pixel sits exactly at the support edge: fall back to it.
      w.fill(0);
      w[Math.min(hi, Math.max(lo, Math.floor(centre))) - lo] = 1;
      total = 1;
    }
    for (let i = 0; i < w.length; i++) w[i] /= total;
    first[d] = srcStart + lo;
    weights.push(w);
  }
  return { first, weights };
}

export interface RawImage {
  width: number;
  height: number;
  /** RGBA (4 bytes/pixel) or RGB (3 bytes/pixel), row-major; told apart by length. */
  data: Uint8Array | Uint8ClampedArray;
  /** Optional: bytes per pixel as the decoder reports it (checked against the length). */
  channels?: number;
}

/** Bytes per pixel of a decoded image (3 or 4), or an error saying what the length is. */
export function channelsOf(image: RawImage): 3 | 4 {
  const pixels = image.width * image.height;
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || pixels <= 0) {
    throw new Error(`invalid image size ${image.width}×${image.height}`);
  }
  const fromLength = image.data.length === pixels * 4 ? 4 : image.data.length === pixels * 3 ? 3 : null;
  if (fromLength !== null && (image.channels === undefined || image.channels === fromLength)) return fromLength;
  if (image.channels !== undefined && image.channels !== 3 && image.channels !== 4) {
    throw new Error(`decoded image has ${image.channels} channel(s), expected 3 (RGB) or 4 (RGBA)`);
  }
  throw new Error(`decoded data has ${image.data.length} bytes, expected ${image.width}×${image.height}×3 (RGB) or ×4 (RGBA)`);
}

/**
 * Centre-crops to a square (the shorter side; as in ImageNet evaluation, no padding) and resizes to
 * size×size, returning HWC RGB bytes. Alpha is dropped.
 */
export function centreCropResize(image: RawImage, size: number): Uint8Array {
  const channels = channelsOf(image);
  const side = Math.min(image.width, image.height);
  const x0 = Math.floor((image.width - side) / 2);
  const y0 = Math.floor((image.height - side) / 2);
  const cols = axisWeights(x0, side, size);
  const rows = axisWeights(y0, side, size);

  // Horizontal pass over the rows the crop covers, then vertical pass.
  const horizontal = new Float32Array(side * size * 3);
  for (let y = 0; y < side; y++) {
    const srcRow = (y0 + y) * image.width;
    for (let x = 0; x < size; x++) {
      const w = cols.weights[x];
      let r = 0;
      let g = 0;
      let b = 0;
      for (let i = 0; i < w.length; i++) {
        const p = (srcRow + cols.first[x] + i) * channels;
        r += w[i] * image.data[p];
        g += w[i] * image.data[p + 1];
        b += w[i] * image.data[p + 2];
      }
      const o = (y * size + x) * 3;
      horizontal[o] = r;
      horizontal[o + 1] = g;
      horizontal[o + 2] = b;
    }
  }
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const w = rows.weights[y];
    const firstRow = rows.first[y] - y0;
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let value = 0;
        for (let i = 0; i < w.length; i++) value += w[i] * horizontal[((firstRow + i) * size + x) * 3 + c];
        out[(y * size + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(value)));
      }
    }
  }
  return out;
}
