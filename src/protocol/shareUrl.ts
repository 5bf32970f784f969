import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import {
  type ConfigFieldPath,
  type ConfigIssue,
  type RunConfig,
  ConfigError,
  configFieldPaths,
  defaultRunConfig,
  flattenConfig,
  parseFieldValue,
  parseRunConfig,
  setAtPath,
} from '../core/config';
import { base64UrlToBytes, bytesToBase64Url } from './base64';

/**
 * The share-link codec. The hash holds the run's non-default config fields as readable
 * `path=value` pairs (like TensorFlow Playground), plus optionally one `results=` value holding the
 * results as deflated, base64url-encoded JSON.
 */

const RESULTS_KEY = 'results';

function formatValue(value: string | number | boolean | null): string {
  return value === null ? 'null' : encodeURIComponent(String(value));
}

export function compressResults(results: unknown): string {
  return bytesToBase64Url(deflateSync(strToU8(JSON.stringify(results)), { level: 9 }));
}

export function decompressResults(text: string): unknown {
  return JSON.parse(strFromU8(inflateSync(base64UrlToBytes(text))));
}

/** `#`-less hash: non-default fields in schema order, then `results=` if given. */
export function configToHash(config: RunConfig, results?: unknown): string {
  const defaults = flattenConfig(defaultRunConfig);
  const values = flattenConfig(config);
  const pairs = configFieldPaths.filter((path) => values[path] !== defaults[path]).map((path) => `${path}=${formatValue(values[path])}`);
  if (results !== undefined) pairs.push(`${RESULTS_KEY}=${compressResults(results)}`);
  return pairs.join('&');
}

export interface DecodedHash {
  /** A valid config: the link's valid fields over the defaults. */
  config: RunConfig;
  /** Every key that was unknown or invalid, and why; those keys were ignored. */
  issues: ConfigIssue[];
  results?: unknown;
}

/** Never throws: whatever is wrong with the link is reported in `issues`. */
export function configFromHash(hash: string): DecodedHash {
  const issues: ConfigIssue[] = [];
  const input: Record<string, unknown> = {};
  const assigned: ConfigFieldPath[] = [];
  let results: unknown;
  const text = hash.replace(/^#/, '').trim();
  for (const part of text ? text.split('&') : []) {
    if (!part) continue;
    const eq = part.indexOf('=');
    let key: string;
    let raw: string;
    try {
      key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      raw = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    } catch {
      issues.push({ path: part.slice(0, 40), message: 'malformed percent-encoding' });
      continue;
    }
    if (eq < 0) {
      issues.push({ path: key, message: 'expected path=value' });
      continue;
    }
    if (key === RESULTS_KEY) {
      try {
        results = decompressResults(raw);
      } catch {
        issues.push({ path: RESULTS_KEY, message: 'could not be decoded (corrupt or truncated link)' });
      }
      continue;
    }
    const parsed = parseFieldValue(key, raw);
    if (!parsed.ok) {
      issues.push(parsed.issue);
      continue;
    }
    setAtPath(input, parsed.path, parsed.value);
    assigned.push(parsed.path);
  }
  // Drop the fields the schema rejects, one round at a time, so every valid field survives.
  for (let round = 0; round <= assigned.length; round++) {
    try {
      return { config: parseRunConfig(input), issues, ...(results !== undefined ? { results } : {}) };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      let removed = false;
      for (const issue of error.issues) {
        issues.push(issue);
        const path = assigned.find((p) => p === issue.path);
        if (path) {
          setAtPath(input, path, undefined);
          removed = true;
        }
      }
      if (!removed) break;
    }
  }
  return { config: defaultRunConfig, issues, ...(results !== undefined ? { results } : {}) };
}
