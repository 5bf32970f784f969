import type { Dataset } from '../types';
import { Rng } from '../random';
import { InMemorySplit } from './inMemorySplit';

/**
 * Procedural coloured shapes: the class is the shape; colour, position, size, background colour and
 * gradient, and pixel noise are random nuisance factors. SimCLR's colour and crop augmentations have
 * something to become invariant to, and a k-NN on good features can tell the classes apart. Shapes
 * are never rotated (bars, plus/cross and square/diamond differ only by orientation) but survive a
 * horizontal flip unchanged, like the pretraining augmentation expects.
 */
export const SHAPE_CLASS_NAMES = [
  'circle',
  'square',
  'triangle',
  'cross',
  'ring',
  'horizontal bar',
  'vertical bar',
  'diamond',
  'plus',
  'two dots',
];

export interface ShapesOptions {
  trainSize: number;
  testSize: number;
  /** Side of the square images (default 32; 16 still gives recognisable shapes). */
  imageSize?: number;
  seed: number;
}

/** Signed distance of point (x, y) to each shape of unit radius (negative inside). */
type Sdf = (x: number, y: number) => number;

function box(x: number, y: number, halfWidth: number, halfHeight: number): number {
  const dx = Math.abs(x) - halfWidth;
  const dy = Math.abs(y) - halfHeight;
  return Math.hypot(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0);
}

const SQRT_HALF = Math.SQRT1_2;
const plus: Sdf = (x, y) => Math.min(box(x, y, 1, 0.28), box(x, y, 0.28, 1));

/** The per-class shape, indexed like SHAPE_CLASS_NAMES; `dotAngle` orients the two dots. */
function shapeSdf(label: number, dotAngle: number): Sdf {
  switch (label) {
    case 0:
      return (x, y) => Math.hypot(x, y) - 0.9;
    case 1:
      return (x, y) => box(x, y, 0.78, 0.78);
    case 2:
      // Upward equilateral triangle as the intersection of three half-planes (y grows downwards).
      return (x, y) => Math.max(y - 0.6, 0.866 * x - 0.5 * y - 0.6, -0.866 * x - 0.5 * y - 0.6);
    case 3:
      return (x, y) => plus((x + y) * SQRT_HALF, (y - x) * SQRT_HALF);
    case 4:
      return (x, y) => Math.abs(Math.hypot(x, y) - 0.72) - 0.22;
    case 5:
      return (x, y) => box(x, y, 1, 0.3);
    case 6:
      return (x, y) => box(x, y, 0.3, 1);
    case 7:
      return (x, y) => (Math.abs(x) + Math.abs(y) - 1) * SQRT_HALF;
    case 8:
      return plus;
    case 9: {
      const ox = 0.58 * Math.cos(dotAngle);
      const oy = 0.58 * Math.sin(dotAngle);
      return (x, y) => Math.min(Math.hypot(x - ox, y - oy), Math.hypot(x + ox, y + oy)) - 0.36;
    }
    default:
      throw new Error(`no shape for class ${label}`);
  }
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

function luminance([r, g, b]: [number, number, number]): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

function randomColour(rng: Rng): [number, number, number] {
  return hsvToRgb(rng.next(), rng.uniform(0, 1), rng.uniform(0.1, 1));
}

/** Renders one image of class `label` into `out` at `offset` (HWC RGB bytes), all randomness from `rng`. */
export function renderShape(label: number, size: number, rng: Rng, out: Uint8Array, offset = 0): void {
  const background = randomColour(rng);
  // A second background colour for a linear gradient; the shape must stand out from both ends.
  const backgroundEnd = randomColour(rng);
  const gradientAngle = rng.uniform(0, 2 * Math.PI);
  const gradientStrength = rng.uniform(0, 0.6);
  let foreground = randomColour(rng);
  for (let attempt = 0; attempt < 20 && Math.abs(luminance(foreground) - luminance(background)) < 0.3; attempt++) {
    foreground = randomColour(rng);
  }
  if (Math.abs(luminance(foreground) - luminance(background)) < 0.3) {
    foreground = luminance(background) > 0.5 ? [0.05, 0.05, 0.05] : [0.95, 0.95, 0.95];
  }
  const radius = size * rng.uniform(0.24, 0.4);
  const margin = radius + 0.5;
  const cx = rng.uniform(margin, size - margin);
  const cy = rng.uniform(margin, size - margin);
  const sdf = shapeSdf(label, rng.uniform(0, Math.PI));
  const noise = rng.uniform(0, 0.06);
  const gx = Math.cos(gradientAngle) / size;
  const gy = Math.sin(gradientAngle) / size;

  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const x = px + 0.5;
      const y = py + 0.5;
      // Distance in pixels; a one-pixel ramp gives anti-aliased edges.
      const coverage = Math.min(1, Math.max(0, 0.5 - sdf((x - cx) / radius, (y - cy) / radius) * radius));
      const t = gradientStrength * Math.min(1, Math.max(0, 0.5 + (x - size / 2) * gx + (y - size / 2) * gy));
      const o = offset + (py * size + px) * 3;
      for (let c = 0; c < 3; c++) {
        const back = background[c] * (1 - t) + backgroundEnd[c] * t;
        const value = back * (1 - coverage) + foreground[c] * coverage + noise * rng.normal();
        out[o + c] = Math.round(255 * Math.min(1, Math.max(0, value)));
      }
    }
  }
}

function generateSplit(count: number, size: number, seed: number): InMemorySplit {
  const rng = new Rng(seed);
  const classCount = SHAPE_CLASS_NAMES.length;
  // Exactly balanced classes (counts differ by at most one), in seeded random order.
  const labels = Int32Array.from(rng.shuffle(Array.from({ length: count }, (_, i) => i % classCount)));
  const images = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < count; i++) renderShape(labels[i], size, rng.fork(i), images, i * size * size * 3);
  return new InMemorySplit(images, labels, size);
}

/** Generates the shapes dataset from the seed: deterministic, no download, instant. */
export function createShapesDataset(options: ShapesOptions): Dataset {
  const size = options.imageSize ?? 32;
  if (!Number.isInteger(size) || size < 8) throw new Error(`shapes imageSize must be an integer ≥ 8, got ${size}`);
  for (const key of ['trainSize', 'testSize'] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 0)
      throw new Error(`shapes ${key} must be a non-negative integer, got ${options[key]}`);
  }
  const rng = new Rng(options.seed);
  const trainSeed = rng.seed();
  const testSeed = rng.seed();
  return {
    name: 'shapes',
    classNames: SHAPE_CLASS_NAMES.slice(),
    train: generateSplit(options.trainSize, size, trainSeed),
    test: generateSplit(options.testSize, size, testSeed),
  };
}
