import type { RunConfig } from '../../core/config';
import { DataPathError, resolveDataPath, subsetRoots, type DataPathKind, type DataRoots } from '../dataRoots';
import type { ValidationIssue } from '../../protocol/serverApi';

/**
 * The disk side of a run config, checked at submission exactly as the runner will resolve it
 * (engineRun.ts): the dataset folder and the subset list must exist inside the data roots (real paths,
 * symbolic links followed). A run that would fail on its paths is a 400 naming the field, never a
 * failure later with a server path in it. `subsets/NAME` names a list in the `--subsets` folder.
 */
export function datasetPathIssues(config: RunConfig, roots: DataRoots, subsetsDir: string | null): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { name, path, subsetList } = config.dataset;
  const check = (checkRoots: DataRoots, requested: string | null, field: string, kind: DataPathKind, fallback?: string) => {
    try {
      resolveDataPath(checkRoots, requested, field, fallback, kind);
    } catch (error) {
      if (error instanceof DataPathError) issues.push({ path: error.field, message: error.message });
      else throw error;
    }
  };
  if (name === 'imagenet' || name === 'folder')
    check(roots, path, 'dataset.path', 'directory', name === 'imagenet' ? 'imagenet' : undefined);
  if (subsetList !== null) check(subsetRoots(roots, subsetsDir), subsetList, 'dataset.subsetList', 'file');
  return issues;
}
