import type { RunConfig, StageName } from '../core/config';
import type { RunEvent, RunSummary } from '../core/types';

/**
 * Shapes shared by the server, its workers and the browser client. No Node APIs here: the lab
 * imports this file (through client.ts).
 */

export const runStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type ServerRunStatus = (typeof runStatuses)[number];
export const terminalStatuses: ReadonlySet<ServerRunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

export function isTerminal(status: ServerRunStatus): boolean {
  return terminalStatuses.has(status);
}

/** Where the latest persisted checkpoint of a run stands (the weights themselves live in a file). */
export interface CheckpointPosition {
  stage: StageName;
  step: number;
  epoch: number;
}

export interface RunRecord {
  id: string;
  status: ServerRunStatus;
  config: RunConfig;
  summary: RunSummary | null;
  error: string | null;
  /** Why a run was interrupted or resumed, in words. */
  reason: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  /** Which process ran it last ('local' or a worker's name). */
  worker: string | null;
  /** How many times it was started (more than 1 after a resume). */
  attempts: number;
  backend: string | null;
  checkpoint: CheckpointPosition | null;
  /** Id of the newest stored event (SSE ids are 1..eventCount). */
  eventCount: number;
}

/**
 * What the event log holds: the engine's RunEvents (checkpoint events without their weights) plus
 * the server's own status changes, so that a replay shows the same history a live client saw.
 */
export type StoredCheckpointEvent = Omit<Extract<RunEvent, { type: 'checkpoint' }>, 'checkpoint'>;
export type RunStatusEvent = { type: 'status'; time: number; status: ServerRunStatus; reason?: string; error?: string; worker?: string };
/**
 * A run started again from its checkpoint at (stage, step): the events of earlier attempts in that
 * stage after `step`, and in later stages, are superseded by what follows (see `foldResumed`).
 */
export type RunResumedEvent = { type: 'resumed'; time: number } & CheckpointPosition;
/**
 * `attempt`: which start of the run produced the event (0 before the first start, 1, 2 … after
 * each resume); the server sets it on every stored event.
 */
export type ServerRunEvent = (Exclude<RunEvent, { type: 'checkpoint' }> | StoredCheckpointEvent | RunStatusEvent | RunResumedEvent) & {
  attempt?: number;
};

/** A run as the list shows it (`GET /api/runs`): the full record is `GET /api/runs/:id`. */
export interface RunListItem {
  id: string;
  status: ServerRunStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
  /** e.g. 'cifar10, 32 px, 50000 train images' */
  dataset: string;
  /** e.g. 'ResNet-18 ×0.25' */
  model: string;
  /** Headline test accuracies of the finished stages (k-NN for pretraining), null when not measured. */
  metrics: { pretrainKnnAccuracy: number | null; finetuneAccuracy: number | null; distillAccuracy: number | null };
  error: string | null;
}

export interface RunPage {
  runs: RunListItem[];
  /** Pass as `?cursor=` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface StoredEvent {
  /** 1-based, per run, gapless: the SSE id. */
  id: number;
  event: ServerRunEvent;
}

export interface QueueState {
  mode: 'in-process' | 'bullmq';
  concurrency: number | null;
  queued: number;
  running: number;
  /** Names of workers seen recently (BullMQ mode). */
  workers?: string[];
}

export interface HealthResponse {
  name: 'simclr-lab-server';
  version: string;
  backend: string;
  device: string;
  notices: string[];
  queue: QueueState;
  auth: boolean;
}

export interface ValidationIssue {
  path: string;
  message: string;
}

export interface ApiError {
  error: string;
  issues?: ValidationIssue[];
}

/** `POST /api/export/official`: what src/server/officialTrainerExport.ts answers. */
export interface OfficialCommand {
  stage: 'pretrain' | 'finetune';
  argv: string[];
  /** The argv as one shell line. */
  command: string;
}

export interface UnmappedField {
  path: string;
  value: unknown;
  reason: string;
}

export interface RefusedField {
  path: string;
  value: unknown;
  reason: string;
}

export interface OfficialTrainerExport {
  trainer: 'google-research/simclr tf2/run.py';
  /** Empty when `refused` is not. */
  commands: OfficialCommand[];
  unmapped: UnmappedField[];
  /** Fields that make the config impossible to run as the same model there. */
  refused: RefusedField[];
  notes: string[];
}

/** The list's compact view of a run: what a table row shows, never the config or the summary. */
export function runListItemOf(run: RunRecord): RunListItem {
  const { dataset, model } = run.config;
  const stages = run.summary?.stages ?? {};
  return {
    id: run.id,
    status: run.status,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    attempts: run.attempts,
    dataset: `${dataset.name}, ${dataset.imageSize} px${dataset.trainSize !== null ? `, ${dataset.trainSize} train images` : ''}`,
    model: `ResNet-${model.depth} ×${model.widthMultiplier}`,
    metrics: {
      pretrainKnnAccuracy: stages.pretrain?.testAccuracy ?? null,
      finetuneAccuracy: stages.finetune?.testAccuracy ?? null,
      distillAccuracy: stages.distill?.testAccuracy ?? null,
    },
    error: run.error,
  };
}
