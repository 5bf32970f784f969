import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The only places on disk a run may read images from: named roots given at start
 * (`--data imagenet=/data/imagenet`). A config names a root (`dataset.path = "imagenet"`), a path
 * under one (`"imagenet/train"`) or an absolute path inside one; anything that resolves (after
 * following symlinks) outside every root is refused.
 */
export type DataRoots = Record<string, string>;

export class DataPathError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'DataPathError';
  }
}

/** Parses `name=/path` (repeatable); the name defaults to the folder's last segment. */
export function parseDataRoot(spec: string): [string, string] {
  const eq = spec.indexOf('=');
  const name = eq > 0 ? spec.slice(0, eq) : (spec.split(/[\\/]/).filter(Boolean).pop() ?? '');
  const path = eq > 0 ? spec.slice(eq + 1) : spec;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`--data ${spec}: the root name must be letters, digits, '_', '.', '-'`);
  if (!path) throw new Error(`--data ${spec}: missing path`);
  return [name, resolve(path)];
}

/** The roots a subset list may come from: the data roots plus `subsets` (the official lists' folder). */
export function subsetRoots(roots: DataRoots, subsetsDir: string | null): DataRoots {
  return subsetsDir ? { ...roots, subsets: subsetsDir } : roots;
}

/** What a dataset path must name on disk: an image folder or a list file. */
export type DataPathKind = 'directory' | 'file';

/**
 * Resolves a dataset path from a config to an absolute path inside one of the roots. `fallbackRoot`
 * is used when the config gives no path (e.g. 'imagenet' for dataset.name = imagenet). Refused: `..`
 * segments, unknown roots, anything whose real path (symbolic links followed, as far as the path
 * exists) leaves every root, and, when `kind` is given, a path that does not exist or is of the other
 * kind. Messages show paths in the data-root-relative form (`imagenet/train`), never the server's.
 */
export function resolveDataPath(
  roots: DataRoots,
  requested: string | null,
  field: string,
  fallbackRoot?: string,
  kind?: DataPathKind,
): string {
  const names = Object.keys(roots);
  let candidate: string;
  if (requested === null) {
    if (!fallbackRoot || !roots[fallbackRoot]) {
      throw new DataPathError(
        field,
        `no path given and no data root named "${fallbackRoot ?? ''}" (roots: ${names.join(', ') || 'none; start the server with --data name=/path'})`,
      );
    }
    candidate = roots[fallbackRoot];
  } else {
    if (requested.includes('\0')) throw new DataPathError(field, 'must not contain NUL bytes');
    if (requested.split(/[\\/]+/).includes('..')) throw new DataPathError(field, "must not contain '..' segments");
    if (isAbsolute(requested)) {
      candidate = resolve(requested);
    } else {
      const [first, ...rest] = requested.split(/[\\/]+/);
      const base = roots[first];
      if (!base) throw new DataPathError(field, `"${first}" is not a data root (roots: ${names.join(', ') || 'none'})`);
      candidate = resolve(base, ...rest);
    }
  }
  const home = Object.entries(roots).find(([, root]) => isInside(root, candidate));
  if (!home) throw new DataPathError(field, 'is outside the configured data roots');
  const real = realpathAsFarAsItExists(candidate);
  if (!Object.values(roots).some((root) => isInside(realpathAsFarAsItExists(root), real))) {
    throw new DataPathError(field, 'leads outside the configured data roots (through a symbolic link)');
  }
  if (kind) {
    const shown = rootRelative(home[0], home[1], candidate);
    const stats = statSync(real, { throwIfNoEntry: false });
    if (!stats) throw new DataPathError(field, `${shown} does not exist`);
    if (kind === 'directory' && !stats.isDirectory()) throw new DataPathError(field, `${shown} is not a folder`);
    if (kind === 'file' && stats.isDirectory()) throw new DataPathError(field, `${shown} is a folder, not a file`);
  }
  return real;
}

/**
 * Rewrites every data root's absolute path in a message (an engine error, a log line) to the root's
 * name, so what reaches a client shows `imagenet/train/x.JPEG`, not where the data lives.
 */
export function withRootRelativePaths(text: string, roots: DataRoots): string {
  const spellings = Object.entries(roots).flatMap(([name, root]) => [
    [root, name],
    [realpathAsFarAsItExists(root), name],
  ]);
  spellings.sort((a, b) => b[0].length - a[0].length);
  let out = text;
  // Only whole path components: a root /data/im must not rewrite /data/imagenet.
  for (const [path, name] of spellings) out = out.replace(new RegExp(`${escapeRegExp(path)}(?![\\w.-])`, 'g'), name);
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function rootRelative(name: string, root: string, path: string): string {
  const rel = relative(root, path);
  return rel === '' ? name : `${name}/${rel.split(sep).join('/')}`;
}

/** realpath of the longest existing prefix, with the rest appended as given. */
function realpathAsFarAsItExists(path: string): string {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(realpathSync(current), ...rest);
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.unshift(basename(current));
      current = parent;
    }
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..'));
}
