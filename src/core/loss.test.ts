import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from './random';
import { accuracy, countCorrect, distillationLoss, ntXent, ntXentLoss, similarityMatrix, softmaxCrossEntropy } from './loss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Matrix = number[][];

function randomMatrix(rows: number, cols: number, rng: Rng): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal()));
}

function normalize(row: number[]): number[] {
  const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
  return row.map((v) => v / norm);
}

function dot(a: number[], b: number[]): number {
  return a.reduce((s, v, i) => s + v * b[i], 0);
}

/**
 * Plain double-precision NT-Xent straight from the paper's Algorithm 1, with explicit loops; accuracy
 * as the official metric: view-1 anchor i against the N view-2 candidates.
 */
function referenceNtXent(z1: Matrix, z2: Matrix, tau: number): { loss: number; accuracy: number } {
  const z = [...z1, ...z2].map(normalize);
  const n = z1.length;
  let total = 0;
  for (let i = 0; i < 2 * n; i++) {
    const positive = i < n ? i + n : i - n;
    let denominator = 0;
    for (let k = 0; k < 2 * n; k++) if (k !== i) denominator += Math.exp(dot(z[i], z[k]) / tau);
    total += -Math.log(Math.exp(dot(z[i], z[positive]) / tau) / denominator);
  }
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let bestIndex = -1;
    let best = -Infinity;
    for (let k = 0; k < n; k++) {
      const s = dot(z[i], z[n + k]);
      if (s > best) {
        best = s;
        bestIndex = k;
      }
    }
    if (bestIndex === i) hits++;
  }
  return { loss: total / (2 * n), accuracy: hits / n };
}

/**
 * The official objective written as tf2/objective.py states it, independently of the above: for
 * each image i, cross-entropy of view 1 over [view-2 logits, view-1 logits without itself] plus
 * the same from view 2, each direction averaged over the N images, the two directions summed.
 */
function referenceOfficialObjective(z1: Matrix, z2: Matrix, tau: number): number {
  const a = z1.map(normalize);
  const b = z2.map(normalize);
  const n = a.length;
  const direction = (x: Matrix, y: Matrix) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const logits = [...y.map((v) => dot(x[i], v) / tau), ...x.flatMap((v, k) => (k === i ? [] : [dot(x[i], v) / tau]))];
      const max = Math.max(...logits);
      const logSum = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
      sum += logSum - logits[i];
    }
    return sum / n;
  };
  return direction(a, b) + direction(b, a);
}

function scalarValue(t: tf.Scalar): number {
  const value = t.dataSync()[0];
  t.dispose();
  return value;
}

describe('ntXentLoss', () => {
  it('matches a plain-loop reference for several N, d and temperatures', () => {
    const rng = new Rng(1);
    for (const [n, d] of [
      [1, 3],
      [2, 4],
      [5, 8],
      [16, 16],
    ]) {
      for (const tau of [0.1, 0.5, 1.0]) {
        const a = randomMatrix(n, d, rng);
        const b = randomMatrix(n, d, rng);
        const expected = referenceNtXent(a, b, tau);
        const z1 = tf.tensor2d(a);
        const z2 = tf.tensor2d(b);
        expect(scalarValue(ntXentLoss(z1, z2, tau))).toBeCloseTo(expected.loss, 4);
        const both = ntXent(z1, z2, tau);
        expect(scalarValue(both.loss)).toBeCloseTo(expected.loss, 4);
        expect(scalarValue(both.accuracy)).toBeCloseTo(expected.accuracy, 6);
        expect(scalarValue(both.objective)).toBeCloseTo(referenceOfficialObjective(a, b, tau), 4);
        tf.dispose([z1, z2]);
      }
    }
  });

  it('gives the hand-computed value for N=1 (only the positive remains: loss 0) and N=2', () => {
    // N=1: the only candidate of each anchor is its positive, so softmax = 1 and the loss is 0.
    const one = ntXentLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 1]]), 0.5);
    expect(scalarValue(one)).toBeCloseTo(0, 6);
    // N=2, orthonormal-ish views: z1 = [e1, e2], z2 = [e1, -e1]. Cosines: e1·e1 = 1, e1·e2 = 0, e1·-e1 = -1.
    // Anchor 0 (e1): positive z2[0]=e1 (s=1), negatives z1[1]=e2 (0), z2[1]=-e1 (-1).
    // Anchor 1 (e2): positive z2[1]=-e1 (0), negatives e1 (0), e1 (0).
    // Anchor 2 (e1): positive e1 (1), negatives e2 (0), -e1 (-1).   Anchor 3 (-e1): positive e2 (0), negatives e1 (-1), e1 (-1).
    const tau = 1;
    const l0 = -Math.log(Math.E / (Math.E + 1 + Math.exp(-1)));
    const l1 = -Math.log(1 / 3);
    const l3 = -Math.log(1 / (1 + 2 * Math.exp(-1)));
    const expected = (2 * l0 + l1 + l3) / 4;
    const two = ntXentLoss(
      tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
      tf.tensor2d([
        [1, 0],
        [-1, 0],
      ]),
      tau,
    );
    expect(scalarValue(two)).toBeCloseTo(expected, 5);
  });

  it('excludes the self-similarity even when different views are exact duplicates', () => {
    // z1[0] == z2[1]: a negative with similarity 1 must count, the anchor's own similarity must not.
    const a = [
      [1, 2, 3],
      [0.5, -1, 2],
    ];
    const b = [
      [-1, 0, 1],
      [1, 2, 3],
    ];
    const expected = referenceNtXent(a, b, 0.2);
    const both = ntXent(tf.tensor2d(a), tf.tensor2d(b), 0.2);
    expect(scalarValue(both.loss)).toBeCloseTo(expected.loss, 4);
    expect(scalarValue(both.accuracy)).toBeCloseTo(expected.accuracy, 6);
    scalarValue(both.objective);
    // Identical views everywhere: if self-similarity leaked in, the loss would be about log 2 higher.
    const same = randomMatrix(4, 6, new Rng(3));
    const sameExpected = referenceNtXent(same, same, 0.5);
    expect(scalarValue(ntXentLoss(tf.tensor2d(same), tf.tensor2d(same), 0.5))).toBeCloseTo(sameExpected.loss, 4);
  });

  it('is scale invariant (it normalises z itself) and has finite gradients', () => {
    const rng = new Rng(4);
    const a = tf.tensor2d(randomMatrix(6, 5, rng));
    const b = tf.tensor2d(randomMatrix(6, 5, rng));
    const base = scalarValue(ntXentLoss(a, b, 0.3));
    const scaled = tf.mul(a, 7) as tf.Tensor2D;
    expect(scalarValue(ntXentLoss(scaled, b, 0.3))).toBeCloseTo(base, 4);
    const before = tf.memory().numTensors;
    const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => ntXentLoss(x as tf.Tensor2D, y as tf.Tensor2D, 0.3))([a, b]);
    for (const g of grads) {
      const values = Array.from(g.dataSync());
      expect(values.every(Number.isFinite)).toBe(true);
      expect(values.some((v) => v !== 0)).toBe(true);
    }
    tf.dispose(grads);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, scaled]);
  });

  it('gradient matches finite differences of the reference', () => {
    const rng = new Rng(5);
    const a = randomMatrix(3, 4, rng);
    const b = randomMatrix(3, 4, rng);
    const tau = 0.5;
    const g = tf.grad((x: tf.Tensor) => ntXentLoss(x as tf.Tensor2D, tf.tensor2d(b), tau))(tf.tensor2d(a));
    const analytic = g.arraySync() as Matrix;
    const h = 1e-5;
    for (const [i, j] of [
      [0, 0],
      [1, 2],
      [2, 3],
    ]) {
      const plus = a.map((row) => [...row]);
      const minus = a.map((row) => [...row]);
      plus[i][j] += h;
      minus[i][j] -= h;
      const numeric = (referenceNtXent(plus, b, tau).loss - referenceNtXent(minus, b, tau).loss) / (2 * h);
      expect(analytic[i][j]).toBeCloseTo(numeric, 3);
    }
  });

  it('trains on the official objective: exactly 2 × ntXentLoss, and twice its gradient', () => {
    const rng = new Rng(6);
    const a = randomMatrix(4, 5, rng);
    const b = randomMatrix(4, 5, rng);
    const tau = 0.2;
    const official = referenceOfficialObjective(a, b, tau);
    expect(official).toBeCloseTo(2 * referenceNtXent(a, b, tau).loss, 10);
    const objectiveOf = (x: tf.Tensor) => {
      const terms = ntXent(x as tf.Tensor2D, tf.tensor2d(b), tau);
      tf.dispose([terms.loss, terms.accuracy]);
      return terms.objective;
    };
    expect(scalarValue(objectiveOf(tf.tensor2d(a)))).toBeCloseTo(official, 4);
    const analytic = tf.grad(objectiveOf)(tf.tensor2d(a)).arraySync() as Matrix;
    const perAnchor = tf
      .grad((x: tf.Tensor) => ntXentLoss(x as tf.Tensor2D, tf.tensor2d(b), tau))(tf.tensor2d(a))
      .arraySync() as Matrix;
    const h = 1e-5;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 5; j++) {
        const plus = a.map((row) => [...row]);
        const minus = a.map((row) => [...row]);
        plus[i][j] += h;
        minus[i][j] -= h;
        const numeric = (referenceOfficialObjective(plus, b, tau) - referenceOfficialObjective(minus, b, tau)) / (2 * h);
        expect(analytic[i][j]).toBeCloseTo(numeric, 3);
        expect(analytic[i][j]).toBeCloseTo(2 * perAnchor[i][j], 5);
      }
    }
  });

  it('contrastive accuracy is the official one: view-1 anchors against the N view-2 candidates', () => {
    // Unit vectors by angle (degrees), so the similarity ranking can be read off by hand.
    const at = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
    // view 1: 0°, 90°, 180°; view 2: 30°, 170°, 200°.
    // Anchor 0°: view-2 distances 30, 170, 160 → own view (0) first: hit.
    // Anchor 90°: 60, 80, 110 → candidate 0 first: miss.
    // Anchor 180°: 150, 10, 20 → candidate 1 first: miss.   Official accuracy = 1/3.
    const terms = ntXent(tf.tensor2d([at(0), at(90), at(180)]), tf.tensor2d([at(30), at(170), at(200)]), 0.5);
    expect(scalarValue(terms.accuracy)).toBeCloseTo(1 / 3, 6);
    // A view-1 neighbour closer than the positive does not count against the official metric
    // (it would among all 2N-1 candidates): anchor 0° has view-1 neighbour 5°, own view 20°.
    const near = ntXent(tf.tensor2d([at(0), at(5)]), tf.tensor2d([at(20), at(120)]), 0.5);
    // Anchor 0°: candidates 20° (own) and 120° → hit. Anchor 5°: 15 vs 115 → candidate 0: miss.
    expect(scalarValue(near.accuracy)).toBeCloseTo(0.5, 6);
    tf.dispose([terms.loss, terms.objective, near.loss, near.objective]);
  });

  it('rejects mismatched views with a clear message', () => {
    expect(() => ntXentLoss(tf.zeros([2, 3]), tf.zeros([3, 3]), 0.5)).toThrow(/same shape/);
    expect(() => ntXentLoss(tf.ones([2, 3]), tf.ones([2, 3]), 0)).toThrow(/temperature/);
  });
});

describe('similarityMatrix', () => {
  it('returns the 2N x 2N cosine similarities ordered [z1; z2]', () => {
    const rng = new Rng(6);
    const a = randomMatrix(3, 4, rng);
    const b = randomMatrix(3, 4, rng);
    const z = [...a, ...b].map(normalize);
    const sim = similarityMatrix(tf.tensor2d(a), tf.tensor2d(b));
    expect(sim.shape).toEqual([6, 6]);
    const values = sim.arraySync();
    for (let i = 0; i < 6; i++) for (let k = 0; k < 6; k++) expect(values[i][k]).toBeCloseTo(dot(z[i], z[k]), 5);
    sim.dispose();
  });
});

describe('distillationLoss', () => {
  function referenceDistill(student: Matrix, teacher: Matrix, tau: number): number {
    let total = 0;
    student.forEach((s, row) => {
      const t = teacher[row];
      const tMax = Math.max(...t.map((v) => v / tau));
      const tExp = t.map((v) => Math.exp(v / tau - tMax));
      const tSum = tExp.reduce((x, y) => x + y, 0);
      const sMax = Math.max(...s.map((v) => v / tau));
      const sLogSum = Math.log(s.map((v) => Math.exp(v / tau - sMax)).reduce((x, y) => x + y, 0)) + sMax;
      total += -tExp.reduce((acc, e, c) => acc + (e / tSum) * (s[c] / tau - sLogSum), 0);
    });
    return total / student.length;
  }

  it('matches a plain-loop reference without a tau^2 factor', () => {
    const rng = new Rng(7);
    for (const tau of [0.1, 1, 2]) {
      const s = randomMatrix(5, 4, rng);
      const t = randomMatrix(5, 4, rng);
      expect(scalarValue(distillationLoss(tf.tensor2d(s), tf.tensor2d(t), tau))).toBeCloseTo(referenceDistill(s, t, tau), 4);
    }
  });

  it('sends gradient to the student only', () => {
    const rng = new Rng(8);
    const s = tf.tensor2d(randomMatrix(4, 3, rng));
    const t = tf.tensor2d(randomMatrix(4, 3, rng));
    const [gs, gt] = tf.grads((x: tf.Tensor, y: tf.Tensor) => distillationLoss(x as tf.Tensor2D, y as tf.Tensor2D, 1))([s, t]);
    expect(Array.from(gs.dataSync()).some((v) => Math.abs(v) > 1e-4)).toBe(true);
    expect(Array.from(gt.dataSync()).every((v) => v === 0)).toBe(true);
    // d/ds of the loss at tau=1 is (softmax(s) - softmax(t)) / B.
    const expected = tf.div(tf.sub(tf.softmax(s), tf.softmax(t)), 4);
    const diff = tf.max(tf.abs(tf.sub(gs, expected))).dataSync()[0];
    expect(diff).toBeLessThan(1e-5);
  });
});

describe('softmaxCrossEntropy and accuracy', () => {
  it('matches a plain-loop reference', () => {
    const logits = [
      [2, 1, 0],
      [0, 3, -1],
      [1, 1, 5],
      [0.5, 0.2, 0.1],
    ];
    const labels = [0, 2, 2, 1];
    let expected = 0;
    logits.forEach((row, i) => {
      const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      expected += logSum - row[labels[i]];
    });
    expected /= logits.length;
    const l = tf.tensor2d(logits);
    const y = tf.tensor1d(labels, 'int32');
    expect(scalarValue(softmaxCrossEntropy(l, y))).toBeCloseTo(expected, 5);
    expect(scalarValue(accuracy(l, y))).toBeCloseTo(0.5, 6);
    expect(countCorrect(l, y)).toBe(2);
  });
});
