/**
 * A run's folder on disk, shared by `npm run train` and each trial of `npm run sweep`:
 * config.json (resolved), metrics.jsonl (one JSON object per metric event), summary.json and
 * checkpoint.bin (written then renamed, so a crash never leaves half a checkpoint).
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../core/config';
import { serializeCheckpoint } from '../core/checkpoint';
import { loadDataset } from '../core/data';
import type { Checkpoint, Dataset, RunEvent, RunSummary } from '../core/types';
import { nodeDataSource } from '../node/nodeDataSource';
import { nodeImageFolder } from '../node/nodeImageFolder';

export class UsageError extends Error {}

/** Reads a JSON file that must hold an object; unreadable or malformed files are a UsageError. */
export function readJsonObject(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`${what} file ${path} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Writes `text` to `path` through a temporary file and a rename (readers never see half a file). */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/**
 * The dataset a config asks for, through core's one loader with the Node data sources; folder files
 * that are left out are reported through `onLog` (by default a notice on stderr, as the backend's).
 */
export function loadNodeDataset(
  config: RunConfig,
  onLog: (message: string) => void = (message) => process.stderr.write(`notice: ${message}\n`),
): Promise<Dataset> {
  return loadDataset(config, {
    source: nodeDataSource(),
    ...(config.dataset.name === 'folder' && config.dataset.path ? { folder: nodeImageFolder(config.dataset.path) } : {}),
    onLog,
  });
}

export interface RunFolder {
  readonly dir: string;
  readonly checkpointPath: string;
  /** Records a run event: metric events become lines of metrics.jsonl. */
  record(event: RunEvent): void;
  /** Replaces checkpoint.bin (pass as the engine's onCheckpoint). */
  saveCheckpoint(checkpoint: Checkpoint): void;
  writeSummary(summary: RunSummary): void;
}

/** Creates (or, with `append`, continues) the run folder `dir` for `config`. */
export function openRunFolder(dir: string, config: RunConfig, options: { append?: boolean } = {}): RunFolder {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const metricsPath = join(dir, 'metrics.jsonl');
  if (!options.append) writeFileSync(metricsPath, '');
  const checkpointPath = join(dir, 'checkpoint.bin');
  return {
    dir,
    checkpointPath,
    record(event) {
      if (event.type === 'metric') {
        const { type: _type, ...fields } = event;
        appendFileSync(metricsPath, `${JSON.stringify(fields)}\n`);
      }
    },
    saveCheckpoint(checkpoint) {
      writeFileAtomic(checkpointPath, serializeCheckpoint(checkpoint));
    },
    writeSummary(summary) {
      writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    },
  };
}
