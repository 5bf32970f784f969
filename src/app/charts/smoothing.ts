/**
 * TensorBoard's scalar smoothing: an exponential moving average started at 0 and divided by the
 * weight the average has accumulated (1 − w^n after n points), so the first points are not pulled
 * towards 0. `weight` in [0, 1): 0 leaves the values as they are. Non-finite values pass through
 * and do not enter the average.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return values.slice();
  const w = Math.min(weight, 0.999);
  let average = 0;
  let count = 0;
  return values.map((value) => {
    if (!Number.isFinite(value)) return value;
    average = average * w + (1 - w) * value;
    count++;
    return average / (1 - w ** count);
  });
}

/** Chance level of the NT-Xent loss (mean over the 2N anchors): ln(2N − 1), N = images per batch. */
export function ntXentChance(batchSize: number): number {
  return Math.log(2 * batchSize - 1);
}
