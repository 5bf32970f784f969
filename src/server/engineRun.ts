import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectNodeBackend } from '../cli/backend';
import { nodeDataSource } from '../cli/nodeDataSource';
import type { RunConfig } from '../core/config';
import { loadDataset } from '../core/data';
import { runExperiment } from '../core/train/run';
import type { Checkpoint, Dataset, RunEvent, RunSummary } from '../core/types';
import type { DataRoots } from './dataRoots';
import { resolveDataPath } from './dataRoots';
import { loadImageFolderDataset } from './imageFolderDataset';
import type { BackendInfo } from './runnerProtocol';

/**
 * The engine as the server runs it: backend chosen once per process (reported, never silent), the
 * dataset loaded from the data roots (ImageNet and folders through the ImageFolder loader), then
 * `runExperiment`. Used inside the runner child process only.
 */

let backendPromise: Promise<BackendInfo> | null = null;

export function chooseBackend(requested: string | null): Promise<BackendInfo> {
  backendPromise ??= selectNodeBackend(requested ?? undefined).then((b) => ({ name: b.name, detail: b.detail, notices: [...b.notices] }));
  return backendPromise;
}

export async function loadRunDataset(config: RunConfig, dataRoots: DataRoots, subsetsDir: string | null): Promise<Dataset> {
  const { dataset } = config;
  if (dataset.name === 'imagenet' || dataset.name === 'folder') {
    const root = resolveDataPath(dataRoots, dataset.path, 'dataset.path', dataset.name === 'imagenet' ? 'imagenet' : undefined);
    const subsetLists = new Map<number, string>();
    if (dataset.name === 'imagenet') {
      for (const [fraction, file] of [
        [0.01, '1percent.txt'],
        [0.1, '10percent.txt'],
      ] as const) {
        const path = subsetsDir ? join(subsetsDir, file) : null;
        if (path && existsSync(path)) subsetList(subsetLists, fraction, path);
      }
    }
    if (dataset.subsetList !== null) {
      const roots = subsetsDir ? { ...dataRoots, subsets: subsetsDir } : dataRoots;
      subsetList(subsetLists, config.finetune.labelFraction, resolveDataPath(roots, dataset.subsetList, 'dataset.subsetList'));
    }
    return loadImageFolderDataset({
      root,
      imageSize: dataset.imageSize,
      trainSize: dataset.trainSize,
      testSize: dataset.testSize,
      seed: config.seed,
      subsetLists,
    });
  }
  return loadDataset(config, { source: nodeDataSource() });
}

function subsetList(lists: Map<number, string>, fraction: number, path: string): void {
  lists.set(fraction, readFileSync(path, 'utf8'));
}

export interface EngineRunOptions {
  config: RunConfig;
  dataRoots: DataRoots;
  subsetsDir: string | null;
  backend: string | null;
  resumeFrom: Checkpoint | null;
  onEvent: (event: RunEvent) => void;
  shouldStop: () => boolean;
}

export async function runOnEngine(options: EngineRunOptions): Promise<RunSummary> {
  const backend = await chooseBackend(options.backend);
  for (const notice of backend.notices) options.onEvent({ type: 'log', time: Date.now(), level: 'warn', message: notice });
  const dataset = await loadRunDataset(options.config, options.dataRoots, options.subsetsDir);
  try {
    return await runExperiment({
      config: options.config,
      dataset,
      backend: backend.detail ? `${backend.name} (${backend.detail})` : backend.name,
      onEvent: options.onEvent,
      control: { beforeStep: async () => (options.shouldStop() ? 'stop' : 'continue') },
      resumeFrom: options.resumeFrom ?? undefined,
    });
  } finally {
    (dataset as { dispose?: () => void }).dispose?.();
  }
}
