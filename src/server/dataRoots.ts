import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

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

/**
 * Resolves a dataset path from a config to an absolute path inside one of the roots. `fallbackRoot`
 * is used when the config gives no path (e.g. 'imagenet' for dataset.name = imagenet).
 */
export function resolveDataPath(roots: DataRoots, requested: string | null, field: string, fallbackRoot?: string): string {
  const names = Object.keys(roots);
  if (requested === null) {
    if (fallbackRoot && roots[fallbackRoot]) return roots[fallbackRoot];
    throw new DataPathError(field, `no path given and no data root named "${fallbackRoot ?? ''}" (roots: ${names.join(', ') || 'none; start the server with --data name=/path'})`);
  }
  if (requested.includes('\0')) throw new DataPathError(field, 'must not contain NUL bytes');
  let candidate: string;
  if (isAbsolute(requested)) {
    candidate = resolve(requested);
  } else {
    const [first, ...rest] = requested.split(/[\\/]+/);
    const base = roots[first];
    if (!base) throw new DataPathError(field, `"${first}" is not a data root (roots: ${names.join(', ') || 'none'})`);
    candidate = resolve(base, ...rest);
  }
  const real = existsSync(candidate) ? realpathSync(candidate) : candidate;
  for (const root of Object.values(roots)) {
    const realRoot = existsSync(root) ? realpathSync(root) : root;
    if (isInside(realRoot, real) && isInside(root, candidate)) return real;
  }
  throw new DataPathError(field, 'is outside the configured data roots');
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..'));
}
