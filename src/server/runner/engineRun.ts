import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SelectedBackend, selectNodeBackend } from '../../node/nodeBackends';
import { nodeDataSource } from '../../node/nodeDataSource';
import { nodeImageFolder } from '../../node/nodeImageFolder';
import { initialEncoderFor } from '../../node/pretrainedFile';
import type { RunConfig } from '../../core/config';
import { type DatasetHosts, loadDataset } from '../../core/data';
import { runExperiment } from '../../core/train/run';
import type { Checkpoint, CheckpointListener, Dataset, RunEvent, RunSummary } from '../../core/types';
import type { DataRoots } from '../dataRoots';
import { resolveDataPath, subsetRoots } from '../dataRoots';
import { loadImageFolderDataset, type ImageNetDataset } from '../../node/imagenetFolder';

/**
 * The engine as the server runs it: backend chosen once per process (reported, never silent), the
 * dataset loaded from the data roots (ImageNet and folders through the ImageFolder loader), then
 * `runExperiment`. Used inside the runner child process only.
 */

let backendPromise: Promise<SelectedBackend> | null = null;

export function chooseBackend(requested: string | null): Promise<SelectedBackend> {
  backendPromise ??= selectNodeBackend(requested ?? undefined).then((b) => ({ name: b.name, detail: b.detail, notices: [...b.notices] }));
  return backendPromise;
}

const officialLists: [number, string][] = [
  [0.01, '1percent.txt'],
  [0.1, '10percent.txt'],
];

/**
 * The run's dataset through core's one loader, with the server's sources injected: files under the
 * datasets root, a folder and ImageNet confined to the data roots (ImageNet with the official subset
 * lists found in `subsetsDir`, and the run's own list if it names one).
 */
export async function loadRunDataset(
  config: RunConfig,
  dataRoots: DataRoots,
  subsetsDir: string | null,
  onLog: (message: string) => void,
): Promise<Dataset> {
  const { dataset } = config;
  const hosts: DatasetHosts = { source: nodeDataSource(), onLog };
  if (dataset.name === 'folder') {
    hosts.folder = nodeImageFolder(resolveDataPath(dataRoots, dataset.path, 'dataset.path', undefined, 'directory'));
  } else if (dataset.name === 'imagenet') {
    const root = resolveDataPath(dataRoots, dataset.path, 'dataset.path', 'imagenet', 'directory');
    const subsetLists = new Map<number, string>();
    for (const [fraction, file] of officialLists) {
      const path = subsetsDir ? join(subsetsDir, file) : null;
      if (path && existsSync(path)) subsetLists.set(fraction, readFileSync(path, 'utf8'));
    }
    if (dataset.subsetList !== null) {
      // A given list serves the run's own label fraction (and replaces an official one of that fraction).
      const listPath = resolveDataPath(subsetRoots(dataRoots, subsetsDir), dataset.subsetList, 'dataset.subsetList', undefined, 'file');
      subsetLists.set(config.finetune.labelFraction, readFileSync(listPath, 'utf8'));
    }
    hosts.imagenet = (request) => loadImageFolderDataset({ root, ...request, subsetLists, onLog });
  }
  return loadDataset(config, hosts);
}

export interface EngineRunOptions {
  config: RunConfig;
  dataRoots: DataRoots;
  subsetsDir: string | null;
  backend: string | null;
  resumeFrom: Checkpoint | null;
  onEvent: (event: RunEvent) => void;
  onCheckpoint: CheckpointListener;
  shouldStop: () => boolean;
}

export async function runOnEngine(options: EngineRunOptions): Promise<RunSummary> {
  const backend = await chooseBackend(options.backend);
  for (const notice of backend.notices) options.onEvent({ type: 'log', time: Date.now(), level: 'warn', message: notice });
  const onLog = (message: string) => options.onEvent({ type: 'log', time: Date.now(), level: 'warn', message });
  const dataset = await loadRunDataset(options.config, options.dataRoots, options.subsetsDir, onLog);
  try {
    return await runExperiment({
      config: options.config,
      dataset,
      backend: backend.name,
      onEvent: options.onEvent,
      onCheckpoint: options.onCheckpoint,
      control: {
        beforeStep: async () => {
          // Steps on wasm/cpu never leave the microtask queue; one macrotask turn lets a pending
          // stop message (IPC) arrive before deciding.
          await new Promise((resolve) => setImmediate(resolve));
          return options.shouldStop() ? 'stop' : 'continue';
        },
      },
      resumeFrom: options.resumeFrom ?? undefined,
      // pretrain.init names a shipped encoder: read from the repository's public/pretrained.
      initialEncoder: initialEncoderFor(options.config),
    });
  } finally {
    // The ImageNet loader holds decode threads; the in-memory datasets have nothing to release.
    await (dataset as Partial<Pick<ImageNetDataset, 'dispose'>>).dispose?.();
  }
}
