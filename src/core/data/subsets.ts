import { Rng } from '../random';

/** Indices of each class, in ascending index order, keyed by class (only classes present). */
export function indicesByClass(labels: ArrayLike<number>): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0) throw new Error(`labels[${i}] = ${label} is not a class index (a non-negative integer)`);
    let members = byClass.get(label);
    if (!members) byClass.set(label, (members = []));
    members.push(i);
  }
  return new Map([...byClass.entries()].sort((a, b) => a[0] - b[0]));
}

/** `count` distinct members of `items`, chosen uniformly (partial Fisher-Yates on a copy). */
function pick(items: number[], count: number, rng: Rng): number[] {
  const pool = items.slice();
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

function sortedIndices(chosen: number[]): Int32Array {
  return Int32Array.from(chosen).sort();
}

/**
 * The labelled subset for fine-tuning: per class round(fraction × classCount) images (at least 1
 * for every class present), drawn with the seed. Sorted indices; fraction 1 gives every index.
 */
export function labelFractionSubset(labels: ArrayLike<number>, fraction: number, seed: number): Int32Array {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`label fraction must be in (0, 1], got ${fraction}`);
  const rng = new Rng(seed);
  const chosen: number[] = [];
  for (const [label, members] of indicesByClass(labels)) {
    const count = Math.min(members.length, Math.max(1, Math.round(fraction * members.length)));
    chosen.push(...pick(members, count, rng.fork(label)));
  }
  return sortedIndices(chosen);
}

/**
 * Exactly min(count, labels.length) indices, class proportions kept as closely as integers allow
 * (largest-remainder quotas), members drawn with the seed. Sorted. Used for the dataset caps.
 */
export function stratifiedSample(labels: ArrayLike<number>, count: number, seed: number): Int32Array {
  if (!Number.isInteger(count) || count < 0) throw new Error(`sample size must be a non-negative integer, got ${count}`);
  if (count >= labels.length) return Int32Array.from({ length: labels.length }, (_, i) => i);
  const classes = [...indicesByClass(labels).entries()];
  const exact = classes.map(([, members]) => (count * members.length) / labels.length);
  const quotas = exact.map(Math.floor);
  let remainder = count - quotas.reduce((a, b) => a + b, 0);
  // Largest fractional parts get the leftover places; ties go to the lower class index.
  const order = exact.map((value, i) => ({ i, frac: value - quotas[i] })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (remainder === 0) break;
    quotas[i]++;
    remainder--;
  }
  const rng = new Rng(seed);
  const chosen: number[] = [];
  classes.forEach(([label, members], i) => chosen.push(...pick(members, quotas[i], rng.fork(label))));
  return sortedIndices(chosen);
}

/** Same as stratifiedSample, but `null` (no cap) keeps everything. */
export function capIndices(labels: ArrayLike<number>, cap: number | null, seed: number): Int32Array {
  return stratifiedSample(labels, cap === null ? labels.length : Math.min(cap, labels.length), seed);
}
