import * as Comlink from 'comlink';
import type { LabWorkerApi } from '../protocol/labWorkerApi';

/**
 * Starts a training worker; everything heavy happens there, never on the page's thread. The lab has
 * one; a sweep on wasm or cpu starts more, one per trial it trains at once (named apart in devtools).
 */
export function startLabWorker(name = 'simclr-lab'): { api: Comlink.Remote<LabWorkerApi>; worker: Worker } {
  const worker = new Worker(new URL('../worker/labWorker.ts', import.meta.url), { type: 'module', name });
  return { api: Comlink.wrap<LabWorkerApi>(worker), worker };
}
