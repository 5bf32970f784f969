import type { RunConfig } from '../core/config';
import { type DatasetHosts, datasetKey } from '../core/data';
import type { SkippedImage } from '../core/data/imageFolder';
import { fetchDataSource } from '../core/data/source';
import type { FolderFile, FolderLoadReport } from '../protocol/labWorkerApi';

const imageExtensions = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;

/** `class/sub/file.png` → `class`; files at the top level of the picked folder have no class. */
export function classOfPath(path: string): string | null {
  const parts = path.split('/').filter(Boolean);
  return parts.length >= 2 ? parts[0] : null;
}

/**
 * The person's own images as an ImageFolder source (one sub-folder per class), decoded with
 * createImageBitmap. Files that are not images or fail to decode are reported, never fatal.
 */
export class BlobImageFolder {
  private readonly byPath = new Map<string, Blob>();
  readonly skipped: SkippedImage[] = [];

  constructor(files: FolderFile[]) {
    for (const { path, file } of files) {
      if (path.split('/').some((part) => part.startsWith('.'))) continue;
      if (!imageExtensions.test(path)) {
        this.skipped.push({ path, reason: 'not an image file' });
        continue;
      }
      if (classOfPath(path) === null) {
        this.skipped.push({ path, reason: 'not inside a class sub-folder' });
        continue;
      }
      this.byPath.set(path, file);
    }
  }

  async listEntries(): Promise<{ path: string; className: string }[]> {
    return [...this.byPath.keys()].sort().map((path) => ({ path, className: classOfPath(path) as string }));
  }

  async decodeImage(path: string): Promise<{ width: number; height: number; data: Uint8Array }> {
    const blob = this.byPath.get(path);
    if (!blob) throw new Error(`No such image: ${path}`);
    const bitmap = await createImageBitmap(blob);
    try {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d');
      if (!context) throw new Error('2-D canvas unavailable');
      context.drawImage(bitmap, 0, 0);
      const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const rgb = new Uint8Array(bitmap.width * bitmap.height * 3);
      for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
        rgb[j] = rgba[i];
        rgb[j + 1] = rgba[i + 1];
        rgb[j + 2] = rgba[i + 2];
      }
      return { width: bitmap.width, height: bitmap.height, data: rgb };
    } finally {
      bitmap.close();
    }
  }

  /** Decodes every image once to find the unreadable ones (the folder picker's report). */
  async inspect(): Promise<FolderLoadReport> {
    const unreadable = [...this.skipped];
    const classes = new Set<string>();
    let images = 0;
    for (const { path, className } of await this.listEntries()) {
      try {
        const blob = this.byPath.get(path) as Blob;
        (await createImageBitmap(blob)).close();
        classes.add(className);
        images++;
      } catch (error) {
        unreadable.push({ path, reason: error instanceof Error ? error.message || 'could not be decoded' : 'could not be decoded' });
        this.byPath.delete(path);
      }
    }
    return { classNames: [...classes].sort(), images, unreadable };
  }
}

export interface BrowserDatasetOptions {
  /** URL of the datasets folder the app serves (public/datasets). */
  datasetsUrl: string;
  /** The person's picked folder, for dataset "folder". */
  folder?: FolderFile[];
  progress?: (message: string) => void;
}

/**
 * What the browser injects into core's `loadDatasetReport`: files fetched from the app's datasets
 * folder and the picked folder decoded with createImageBitmap. Everything else (caps, shapes'
 * default size, the folder split) is core's, so the lab loads what the CLI and the server load.
 */
export function browserDatasetHosts({ datasetsUrl, folder, progress }: BrowserDatasetOptions): DatasetHosts {
  return {
    source: fetchDataSource(datasetsUrl),
    // No folder picked: core's own message asks for one.
    folder: folder?.length ? new BlobImageFolder(folder) : undefined,
    progress,
  };
}

/**
 * Cache key of a lab dataset: core's `datasetKey` plus, for "folder", which files were picked
 * (the config does not name them). Files arrive as fresh copies on every worker call, so they are
 * told apart by their count, first and last path and total size rather than by identity.
 */
export function browserDatasetKey(config: RunConfig, folder?: FolderFile[]): string {
  if (config.dataset.name !== 'folder' || !folder?.length) return datasetKey(config);
  const bytes = folder.reduce((sum, { file }) => sum + file.size, 0);
  return JSON.stringify([datasetKey(config), folder.length, folder[0].path, folder[folder.length - 1].path, bytes]);
}
