import { Redis } from 'ioredis';
import type { RunConfig } from '../../core/config';
import type { RunSummary } from '../../core/types';
import type { ServerRunStatus, ServerRunEvent } from '../../protocol/serverApi';

/**
 * What the server and `npm run worker` processes share on Redis besides the BullMQ queue: one stream
 * of run messages (events and status changes) that the server folds into its store, the latest
 * checkpoint of each run (so any worker can resume it), cancel flags and worker heartbeats.
 */

export const queueName = 'simclr-runs';
export const keys = {
  prefix: 'simclr',
  stream: 'simclr:run-messages',
  checkpoint: (runId: string) => `simclr:checkpoint:${runId}`,
  cancel: (runId: string) => `simclr:cancel:${runId}`,
  workers: 'simclr:workers',
};

/** Data of a BullMQ job: the run to execute. */
export interface RunJobData {
  runId: string;
  config: RunConfig;
}

export type RunMessage =
  | { kind: 'event'; event: ServerRunEvent }
  | { kind: 'status'; status: ServerRunStatus; worker: string; summary?: RunSummary; error?: string; reason?: string; backend?: string };

export interface WorkerHeartbeat {
  name: string;
  backend: string;
  device: string;
  /** ms since epoch */
  seen: number;
  running: string | null;
}

export function redisConnection(url: string): Redis {
  // BullMQ needs maxRetriesPerRequest = null for blocking commands.
  return new Redis(url, { maxRetriesPerRequest: null });
}

export function encodeMessage(runId: string, message: RunMessage): string[] {
  return ['run', runId, 'message', JSON.stringify(message)];
}

export function decodeMessage(fields: string[]): { runId: string; message: RunMessage } | null {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  const runId = map.get('run');
  const text = map.get('message');
  if (!runId || !text) return null;
  return { runId, message: JSON.parse(text) as RunMessage };
}
