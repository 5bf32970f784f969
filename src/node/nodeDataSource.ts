import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFileMissingError, type DataSource } from '../core/data/source';

/**
 * Where the fetched datasets live: $SIMCLR_DATASETS_DIR if set, else <repo>/public/datasets
 * (where `npm run fetch-datasets` unpacks them).
 */
export function resolveDatasetsRoot(): string {
  const fromEnv = process.env.SIMCLR_DATASETS_DIR;
  if (fromEnv) return resolve(fromEnv);
  return fileURLToPath(new URL('../../public/datasets', import.meta.url));
}

/** A path as the user would type it: relative to the working directory when inside it. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : path;
}

/** DataSource over the file system; refuses paths that escape the root. */
export function nodeDataSource(root = resolveDatasetsRoot()): DataSource {
  const base = resolve(root);
  return {
    async readFile(relativePath) {
      const path = resolve(join(base, relativePath));
      if (path !== base && !path.startsWith(base + sep)) throw new Error(`${relativePath} is outside the datasets root ${base}`);
      try {
        const buffer = await readFile(path);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new DataFileMissingError(relativePath, displayPath(path));
        throw error;
      }
    },
  };
}
