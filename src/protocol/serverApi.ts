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
 * What the event log holds: the engine's RunEvents (weight-free; the weights are in the run's
 * checkpoint file) plus the server's own status changes, so that a replay shows the same history a
 * live client saw.
 */
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
export type ServerRunEvent = (RunEvent | RunStatusEvent | RunResumedEvent) & {
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

/*
 * Sweeps on the server (`/api/sweeps`). The spec is the sweep spec of src/sweep/spec.ts as validated
 * there (defaults filled); this layer does not import src/sweep, so it travels as a plain object.
 */

export type SweepParamValue = string | number | boolean | null;

/** A validated sweep spec (`SweepSpec` of src/sweep/spec.ts) as JSON. */
export type SweepSpecJson = Record<string, unknown> & { name: string; trials: number; concurrency: number };

export const sweepStatuses = ['running', 'completed', 'cancelled', 'failed'] as const;
export type SweepStatus = (typeof sweepStatuses)[number];

export function isSweepFinished(status: SweepStatus): boolean {
  return status !== 'running';
}

/** Finished trials: as in the CLI's sweep.json. Unfinished: the state of their run. */
export type SweepTrialStatus = 'completed' | 'stopped' | 'failed' | 'running' | 'queued';

export interface SweepTrial {
  /** t001, t002… in proposal order. */
  id: string;
  index: number;
  /** The run that carries the trial in the run queue (null only before its run was created). */
  runId: string | null;
  params: Record<string, SweepParamValue>;
  status: SweepTrialStatus;
  /** The objective's value (null unless completed with it). */
  objective: number | null;
  /** Epoch (of the early-stopping metric's stage) at which the trial was stopped. */
  stoppedAt?: number;
  /** Why it stopped or failed, in words. */
  reason?: string;
  error?: string;
  seconds?: number;
  /** Pretraining reuse key (null when the trial does not pretrain). */
  reuseKey?: string | null;
  /** The trial's run started from a pretraining another trial of the sweep ran. */
  reusedPretraining?: boolean;
  /** (epoch, value) of the early-stopping metric (else the objective when it is per-epoch). */
  curve?: [number, number][];
}

export interface SweepBest {
  id: string;
  runId: string | null;
  params: Record<string, SweepParamValue>;
  objective: number;
}

export interface SweepCounts {
  completed: number;
  stopped: number;
  failed: number;
  running: number;
  queued: number;
}

export interface SweepRecord {
  id: string;
  name: string;
  spec: SweepSpecJson;
  status: SweepStatus;
  /** Why it was cancelled or failed, in words. */
  reason: string | null;
  /** Pretraining reuse: "on", or "off: <why>". */
  reuse: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Trials the sweep runs in all. */
  planned: number;
  counts: SweepCounts;
  /** Trials proposed so far (finished and in progress), in index order. */
  trials: SweepTrial[];
  best: SweepBest | null;
  /** Id of the newest stored sweep event (SSE ids are 1..eventCount). */
  eventCount: number;
}

/** `GET /api/sweeps`: what a table row shows, never the trials. */
export interface SweepListItem {
  id: string;
  name: string;
  status: SweepStatus;
  method: string;
  objective: { metric: string; goal: string };
  createdAt: string;
  finishedAt: string | null;
  planned: number;
  counts: SweepCounts;
  best: SweepBest | null;
}

export interface SweepList {
  sweeps: SweepListItem[];
}

/**
 * A sweep's event log (`GET /api/sweeps/:id/events`): trial lifecycle and the early-stopping
 * metric as it arrives; a final `sweep-status` (completed, cancelled or failed) ends the stream.
 */
export type SweepEvent =
  | { type: 'sweep-status'; time: number; status: SweepStatus; reason?: string }
  | { type: 'trial-start'; time: number; trial: SweepTrial }
  | { type: 'trial-status'; time: number; trialId: string; runId: string; status: 'queued' | 'running'; reason?: string }
  | { type: 'trial-metric'; time: number; trialId: string; epoch: number; value: number }
  | { type: 'trial-end'; time: number; trial: SweepTrial; best: SweepBest | null };

export interface StoredSweepEvent {
  /** 1-based, per sweep, gapless: the SSE id. */
  id: number;
  event: SweepEvent;
}

export function isFinalSweepEvent(event: SweepEvent): boolean {
  return event.type === 'sweep-status' && isSweepFinished(event.status);
}
