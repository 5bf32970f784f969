import type { RunConfig } from '../../core/config';
import type { RunSummary } from '../../core/types';
import type { SelectedBackend } from '../../node/nodeBackends';
import type { DataRoots } from '../dataRoots';
import type { ServerRunEvent } from '../../protocol/serverApi';

/** Messages between a host (server or worker) and the child process that runs one run's engine. */

export interface RunnerJob {
  runId: string;
  config: RunConfig;
  dataRoots: DataRoots;
  /** Folder holding the official 1percent.txt / 10percent.txt lists (null: none). */
  subsetsDir: string | null;
  /** Checkpoint file to resume from (null: start fresh). */
  resumeFromPath: string | null;
  /** Where the child writes each checkpoint (atomically) before reporting it. */
  checkpointPath: string;
  /** Backend to ask for (null: the fastest available). */
  backend: string | null;
}

export type HostToRunner = { type: 'start'; job: RunnerJob } | { type: 'probe'; backend: string | null } | { type: 'stop' };

export type RunnerToHost =
  | { type: 'event'; event: ServerRunEvent }
  | { type: 'done'; summary: RunSummary }
  | { type: 'failed'; error: string; configIssue?: { path: string; message: string } }
  | { type: 'probed'; backend: SelectedBackend };
