import { describe, expect, it } from 'vitest';
import { Rng } from '../random';
import { centreCropResize, channelsOf } from './resize';

function image(width: number, height: number, channels: 3 | 4, value: (x: number, y: number, c: number) => number) {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = value(x, y, c);
  return { width, height, data };
}

describe('centreCropResize', () => {
  it('is the identity at the same size', () => {
    const rng = new Rng(1);
    const src = image(9, 9, 3, () => rng.int(256));
    expect(Array.from(centreCropResize(src, 9))).toEqual(Array.from(src.data));
  });

  it('averages with a widened triangle filter when shrinking (linear ramps are kept)', () => {
    // Ramp 10·x over an 8-wide image; interior output pixels of a 2× reduction sit at x = 2d + 0.5.
    const out = centreCropResize(
      image(8, 8, 3, (x) => 10 * x),
      4,
    );
    const row = (y: number) => [0, 1, 2, 3].map((x) => out[(y * 4 + x) * 3]);
    expect(row(1).slice(1, 3)).toEqual([25, 45]);
    // At the edge the filter is cut and renormalised: (0·0.75 + 10·0.75 + 20·0.25) / 1.75.
    expect(row(1)[0]).toBe(Math.round(12.5 / 1.75));
  });

  it('centre-crops the longer side and drops alpha', () => {
    // 12×8 RGBA: columns 0-1 and 10-11 are cropped away; they are 255 so any leak would show.
    const src = image(12, 8, 4, (x, _y, c) => (c === 3 ? 7 : x < 2 || x >= 10 ? 255 : 40 + c));
    const out = centreCropResize(src, 4);
    expect(out.length).toBe(4 * 4 * 3);
    for (let p = 0; p < 16; p++) expect([out[3 * p], out[3 * p + 1], out[3 * p + 2]]).toEqual([40, 41, 42]);
  });

  it('tells RGB from RGBA by length and reports other lengths', () => {
    expect(channelsOf({ width: 2, height: 2, data: new Uint8Array(12) })).toBe(3);
    expect(channelsOf({ width: 2, height: 2, data: new Uint8Array(16) })).toBe(4);
    expect(() => channelsOf({ width: 2, height: 2, data: new Uint8Array(10) })).toThrow(
      'decoded data has 10 bytes, expected 2×2×3 (RGB) or ×4 (RGBA)',
    );
    expect(() => channelsOf({ width: 2, height: 2, data: new Uint8Array(8), channels: 2 })).toThrow('decoded image has 2 channel(s)');
  });
});
