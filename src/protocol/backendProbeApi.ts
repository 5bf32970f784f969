import type { ModelSpec } from '../core/model/index';
import type { BackendName } from './labWorkerApi';

/** What the page's backend probe (app/backendProbe.ts) and its measuring worker say to each other. */
export interface ProbeStart {
  ok: boolean;
  adapter: string | null;
  software: boolean;
  reason: string | null;
}

export interface ProbeTiming {
  imagesPerSecond: number;
  stepMs: number;
  /** The untimed first step: shader compilation and first allocations land here. */
  warmupMs: number;
}

export interface BackendProbeApi {
  start(name: BackendName): Promise<ProbeStart>;
  /** One warm-up step, then one timed step of `spec` on 2·n random views. */
  measure(spec: ModelSpec, n: number): Promise<ProbeTiming>;
}
