/**
 * Where dataset files come from. The engine never touches a file system or the network itself: the
 * host injects a DataSource (Node: files under public/datasets; browser: fetch('/datasets/...')).
 * Paths are relative to the datasets root and use '/', e.g. `cifar10/data_batch_1.png`.
 */
export interface DataSource {
  readFile(relativePath: string): Promise<Uint8Array>;
}

/**
 * Thrown by a DataSource when a file does not exist. `displayPath` is what the user should look for
 * (e.g. `public/datasets/cifar10/data_batch_1.png`); the message says how to get it.
 */
export class DataFileMissingError extends Error {
  readonly relativePath: string;
  readonly displayPath: string;
  constructor(relativePath: string, displayPath = relativePath) {
    super(`${displayPath} is missing — run \`npm run fetch-datasets\``);
    this.name = 'DataFileMissingError';
    this.relativePath = relativePath;
    this.displayPath = displayPath;
  }
}

/** A corrupt or unexpected dataset file; the message names the file and what is wrong. */
export class DataFileError extends Error {
  readonly relativePath: string;
  constructor(relativePath: string, problem: string) {
    super(`${relativePath}: ${problem}`);
    this.name = 'DataFileError';
    this.relativePath = relativePath;
  }
}

/** Reads a file, turning any failure other than "missing" into a DataFileError naming the file. */
export async function readDataFile(source: DataSource, relativePath: string): Promise<Uint8Array> {
  try {
    return await source.readFile(relativePath);
  } catch (error) {
    if (error instanceof DataFileMissingError || error instanceof DataFileError) throw error;
    throw new DataFileError(relativePath, `could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** An in-memory DataSource (tests, or files the user dropped into the page). */
export function mapDataSource(files: ReadonlyMap<string, Uint8Array>, displayRoot = ''): DataSource {
  return {
    async readFile(relativePath) {
      const bytes = files.get(relativePath);
      if (!bytes) throw new DataFileMissingError(relativePath, displayRoot ? `${displayRoot}/${relativePath}` : relativePath);
      return bytes;
    },
  };
}

/**
 * A DataSource over HTTP (`fetch` exists in browsers, workers and Node ≥ 18): `baseUrl` is where the
 * datasets folder is served, e.g. '/datasets' in the browser app.
 */
export function fetchDataSource(baseUrl: string, fetchImpl: typeof fetch = fetch): DataSource {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    async readFile(relativePath) {
      const url = `${base}/${relativePath}`;
      const response = await fetchImpl(url);
      if (response.status === 404) throw new DataFileMissingError(relativePath, url);
      if (!response.ok) throw new DataFileError(relativePath, `HTTP ${response.status} ${response.statusText} from ${url}`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}
