import { flattenConfig, type RunConfig } from '../core/config';
import type { Checkpoint, RunSummary } from '../core/types';

/**
 * Pretraining reuse: trials whose configs agree on every field pretraining depends on share one
 * pretraining run and branch at fine-tuning. Pretraining reads the seed, the dataset, the model and
 * its own settings — nothing of finetune.* or distill.* (the encoder never sees labels) — so the
 * key hashes exactly `seed`, `dataset.*`, `model.*` and `pretrain.*`.
 */

const PRETRAIN_PREFIXES = ['dataset.', 'model.', 'pretrain.'];

/** The fields (dotted path → value, sorted by path) that decide what pretraining produces. */
export function pretrainingFields(config: RunConfig): Record<string, unknown> {
  const flat = flattenConfig(config);
  const entries = Object.entries(flat).filter(([path]) => path === 'seed' || PRETRAIN_PREFIXES.some((p) => path.startsWith(p)));
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * 53-bit string hash (cyrb53: two multiplicative 32-bit lanes), as 14 hex digits. Not cryptographic;
 * collisions between a sweep's handful of configs are out of reach at 2^53.
 */
export function hashString(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/** The reuse key of a trial's pretraining, or null when the trial does not pretrain. */
export function pretrainingReuseKey(config: RunConfig): string | null {
  if (!config.pretrain.enabled) return null;
  return hashString(JSON.stringify(pretrainingFields(config)));
}

/**
 * A checkpoint that starts a run after a shared pretraining: pretraining counts as completed (its
 * summary is kept), the encoder weights come from the shared run, the next stage starts at step 0.
 * `runExperiment({ resumeFrom })` then skips pretraining and fine-tunes from these weights, so no
 * engine hook is needed.
 */
export function checkpointAfterPretraining(
  pretrained: Checkpoint['models']['pretrain'],
  summary: NonNullable<RunSummary['stages']['pretrain']>,
): Checkpoint {
  return { version: 1, stage: 'finetune', step: 0, completed: { pretrain: summary }, models: { pretrain: pretrained }, optimizer: {} };
}
