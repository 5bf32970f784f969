import { describe, expect, it } from 'vitest';
import { createShapesDataset, SHAPE_CLASS_NAMES } from './shapes';
import type { DatasetSplit } from '../types';

async function allBytes(split: DatasetSplit): Promise<Uint8Array> {
  return split.readBatch(Array.from({ length: split.count }, (_, i) => i));
}

/** Least-squares plane v = p0 + p1·x + p2·y through the points (Cramer's rule on the normal equations). */
function fitPlane(points: [number, number, number][]): [number, number, number] {
  const m = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const r = [0, 0, 0];
  for (const [x, y, v] of points) {
    const f = [1, x, y];
    for (let i = 0; i < 3; i++) {
      r[i] += f[i] * v;
      for (let j = 0; j < 3; j++) m[i][j] += f[i] * f[j];
    }
  }
  const det = (a: number[][]) =>
    a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
    a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
    a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const d = det(m);
  return [0, 1, 2].map((k) => det(m.map((row, i) => row.map((value, j) => (j === k ? r[i] : value)))) / d) as [number, number, number];
}

/**
 * Foreground of one image: pixels far from the background, modelled as a linear gradient fitted to
 * the border pixels (shapes stay inside the border).
 */
function foregroundBox(bytes: Uint8Array, index: number, size: number): { width: number; height: number; centreIsForeground: boolean } {
  const base = index * size * size * 3;
  const at = (x: number, y: number, c: number) => bytes[base + (y * size + x) * 3 + c];
  const border: [number, number][] = [];
  for (let i = 0; i < size; i++) border.push([i, 0], [i, size - 1], [0, i], [size - 1, i]);
  const planes = [0, 1, 2].map((c) => fitPlane(border.map(([x, y]) => [x, y, at(x, y, c)])));
  const isForeground = (x: number, y: number) =>
    Math.hypot(...[0, 1, 2].map((c) => at(x, y, c) - (planes[c][0] + planes[c][1] * x + planes[c][2] * y))) > 60;
  let minX = size,
    maxX = -1,
    minY = size,
    maxY = -1;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      if (!isForeground(x, y)) continue;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  }
  const cx = Math.round((minX + maxX) / 2);
  const cy = Math.round((minY + maxY) / 2);
  return { width: maxX - minX + 1, height: maxY - minY + 1, centreIsForeground: isForeground(cx, cy) };
}

describe('createShapesDataset', () => {
  it('is deterministic under the seed and differs between seeds', async () => {
    const a = createShapesDataset({ trainSize: 40, testSize: 10, seed: 7 });
    const b = createShapesDataset({ trainSize: 40, testSize: 10, seed: 7 });
    const c = createShapesDataset({ trainSize: 40, testSize: 10, seed: 8 });
    expect(Array.from(a.train.labels)).toEqual(Array.from(b.train.labels));
    expect(Buffer.from(await allBytes(a.train)).equals(Buffer.from(await allBytes(b.train)))).toBe(true);
    expect(Buffer.from(await allBytes(a.test)).equals(Buffer.from(await allBytes(b.test)))).toBe(true);
    expect(Buffer.from(await allBytes(a.train)).equals(Buffer.from(await allBytes(c.train)))).toBe(false);
    // Train and test are drawn from different streams.
    expect(Buffer.from(await a.train.readBatch([0])).equals(Buffer.from(await a.test.readBatch([0])))).toBe(false);
  });

  it('has ten exactly balanced classes and the requested sizes', () => {
    const data = createShapesDataset({ trainSize: 203, testSize: 50, imageSize: 16, seed: 1 });
    expect(data.classNames).toEqual(SHAPE_CLASS_NAMES);
    expect(data.classNames).toHaveLength(10);
    expect([data.train.count, data.test.count, data.train.imageSize]).toEqual([203, 50, 16]);
    const counts = new Array(10).fill(0);
    for (const label of data.train.labels) counts[label]++;
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(203);
  });

  it('draws the class as the shape, at 32 and 16 px', async () => {
    // The fitted background is only approximate (the gradient saturates near corners), so this checks
    // that the shape property holds for the large majority of images, not every one.
    for (const imageSize of [32, 16]) {
      const data = createShapesDataset({ trainSize: 300, testSize: 0, imageSize, seed: 2 });
      const bytes = await allBytes(data.train);
      const checks = new Map<string, { pass: number; total: number }>();
      const record = (name: string, pass: boolean) => {
        const entry = checks.get(name) ?? { pass: 0, total: 0 };
        checks.set(name, { pass: entry.pass + (pass ? 1 : 0), total: entry.total + 1 });
      };
      for (let i = 0; i < data.train.count; i++) {
        const box = foregroundBox(bytes, i, imageSize);
        const label = SHAPE_CLASS_NAMES[data.train.labels[i]];
        if (label === 'horizontal bar') record(label, box.width > box.height * 1.8);
        if (label === 'vertical bar') record(label, box.height > box.width * 1.8);
        if (label === 'ring') record(label, !box.centreIsForeground);
        if (label === 'circle' || label === 'square' || label === 'plus') record(label, box.centreIsForeground);
      }
      expect(checks.size).toBe(6);
      for (const [name, { pass, total }] of checks) expect(pass / total, `${name} at ${imageSize}px`).toBeGreaterThan(0.85);
    }
  });

  it('varies colour within a class (a nuisance factor)', async () => {
    const data = createShapesDataset({ trainSize: 100, testSize: 0, seed: 3 });
    const bytes = await allBytes(data.train);
    const meanRed = Array.from({ length: 100 }, (_, i) => {
      let sum = 0;
      for (let p = 0; p < 1024; p++) sum += bytes[i * 3072 + 3 * p];
      return sum / 1024;
    }).filter((_, i) => data.train.labels[i] === 0);
    expect(Math.max(...meanRed) - Math.min(...meanRed)).toBeGreaterThan(80);
  });

  it('rejects bad sizes', () => {
    expect(() => createShapesDataset({ trainSize: 1, testSize: 1, imageSize: 4, seed: 0 })).toThrow(
      'shapes imageSize must be an integer ≥ 8, got 4',
    );
    expect(() => createShapesDataset({ trainSize: -1, testSize: 1, seed: 0 })).toThrow(
      'shapes trainSize must be a non-negative integer, got -1',
    );
  });
});
