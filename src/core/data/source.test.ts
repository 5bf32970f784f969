import { describe, expect, it } from 'vitest';
import { DataFileError, DataFileMissingError, fetchDataSource, mapDataSource, readDataFile } from './source';

/** A stand-in for fetch answering from a table of URL → [status, body]. */
function fakeFetch(table: Record<string, [number, string]>): typeof fetch {
  return (async (input: string | URL | Request) => {
    const [status, body] = table[String(input)] ?? [404, 'not found'];
    return new Response(body, { status, statusText: status === 200 ? 'OK' : 'Error' });
  }) as typeof fetch;
}

describe('data sources', () => {
  it('fetchDataSource reads bytes under the base URL and maps 404 to a missing-file error', async () => {
    const source = fetchDataSource('/datasets/', fakeFetch({ '/datasets/mnist/a': [200, 'abc'], '/datasets/mnist/b': [500, 'boom'] }));
    expect(new TextDecoder().decode(await source.readFile('mnist/a'))).toBe('abc');
    await expect(source.readFile('mnist/x')).rejects.toBeInstanceOf(DataFileMissingError);
    await expect(source.readFile('mnist/x')).rejects.toThrow('/datasets/mnist/x is missing — run `npm run fetch-datasets`');
    await expect(source.readFile('mnist/b')).rejects.toThrow('mnist/b: HTTP 500 Error from /datasets/mnist/b');
  });

  it('readDataFile names the file when a source fails for another reason', async () => {
    const failing = { readFile: async () => Promise.reject(new Error('EACCES: permission denied')) };
    const error = await readDataFile(failing, 'cifar10/test_batch.png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataFileError);
    expect((error as Error).message).toBe('cifar10/test_batch.png: could not be read: EACCES: permission denied');
    await expect(readDataFile(mapDataSource(new Map()), 'x/y')).rejects.toThrow('x/y is missing');
  });
});
