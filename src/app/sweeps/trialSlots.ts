import type { BackendName } from '../../protocol/labWorkerApi';

/**
 * How many trials of a sweep the Sweeps tab trains at once, and how each is started. A GPU backend
 * trains one trial at a time (trials would only queue for the one GPU and split its memory), so
 * trials run one after another in the lab's own worker. On wasm or cpu each extra core can train
 * another trial: up to `concurrency` trials run at once, each in its own lab worker, with the cores
 * shared out so that workers × wasm threads never exceeds the core count.
 */
export interface TrialSlots {
  /** Trials trained at once; 1 means one after another in the lab's own worker. */
  workers: number;
  /** wasm only: XNNPACK threads each trial worker starts with (null: the worker's default). */
  wasmThreads: number | null;
  /**
   * Each trial worker's training speed as a share of the lab's own worker (which measured the
   * images/s): below 1 when a trial worker gets fewer wasm threads than the lab's worker uses.
   */
  speed: number;
  /** The schedule in words, for the builder. */
  note: string;
}

export interface SlotRequest {
  /** The lab's backend (null while none has started). */
  backend: BackendName | null;
  /** The sweep spec's `concurrency`: the most trials the user wants at once. */
  concurrency: number;
  /** navigator.hardwareConcurrency. */
  cores: number;
  /** Whether wasm can use threads here (a cross-origin-isolated page); otherwise every worker has one. */
  threadedWasm: boolean;
}

/**
 * XNNPACK threads tfjs starts when not told: half the logical cores (it assumes two hyperthreads per
 * core and caps its pool there; see src/bench/benchWorker.ts), at least one.
 */
export function defaultWasmThreads(cores: number, threadedWasm: boolean): number {
  return threadedWasm ? Math.max(1, Math.floor(cores / 2)) : 1;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function planTrialSlots(request: SlotRequest): TrialSlots {
  const cores = Math.max(1, Math.floor(Number.isFinite(request.cores) ? request.cores : 1));
  const wanted = Math.max(1, Math.floor(request.concurrency));
  const one = (note: string): TrialSlots => ({ workers: 1, wasmThreads: null, speed: 1, note });
  if (request.backend === null) return one('trials run one after another (no backend has started yet)');
  if (request.backend === 'webgpu' || request.backend === 'webgl') return one('GPU backend: trials run one after another');
  if (wanted === 1) return one('one trial at a time');
  const workers = Math.min(wanted, cores);
  if (workers === 1) return one(`one core: trials run one after another`);
  const capped = wanted > cores ? ` (at most one per core: ${plural(cores, 'core')})` : ` (${plural(cores, 'core')})`;
  if (request.backend === 'cpu') {
    return { workers, wasmThreads: null, speed: 1, note: `${workers} trials at once, each in its own worker${capped}` };
  }
  // The single-threaded binary (a page without cross-origin isolation) ignores a thread count.
  const threads = request.threadedWasm ? Math.max(1, Math.floor(cores / workers)) : 1;
  const speed = Math.min(1, threads / defaultWasmThreads(cores, request.threadedWasm));
  return {
    workers,
    wasmThreads: threads,
    speed,
    note: `${workers} trials at once, each in its own worker with ${plural(threads, 'wasm thread')}${capped}`,
  };
}
