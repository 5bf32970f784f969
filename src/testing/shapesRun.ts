import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunConfig } from '../core/config';
import { createShapesDataset } from '../core/data/shapes';
import type { RunEvent, RunSummary } from '../core/types';
import { runExperiment } from '../core/train/run';

/** examples/shapes-smoke.json as parsed JSON: the learning tests' recipe, before any test changes it. */
export function shapesSmokeExample(): Record<string, unknown> & { pretrain: object; finetune: object; distill: object } {
  return JSON.parse(readFileSync(fileURLToPath(new URL('../../examples/shapes-smoke.json', import.meta.url)), 'utf8'));
}

/** Runs `config` on its shapes dataset (sizes from the config) on `backend`, keeping every event. */
export async function runOnShapes(config: RunConfig, backend: string): Promise<{ summary: RunSummary; events: RunEvent[] }> {
  const dataset = createShapesDataset({
    trainSize: config.dataset.trainSize!,
    testSize: config.dataset.testSize!,
    imageSize: config.dataset.imageSize,
    seed: config.seed,
  });
  const events: RunEvent[] = [];
  const summary = await runExperiment({ config, dataset, backend, onEvent: (e) => events.push(e) });
  return { summary, events };
}
