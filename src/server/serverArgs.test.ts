import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandLineError } from '../node/commandLine';
import { parseServerArgs } from './serverArgs';

describe('npm run server flags', () => {
  it('keeps the documented defaults', () => {
    expect(parseServerArgs([], {})).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      dataRoots: {},
      store: resolve('server-data'),
      token: null,
      corsOrigins: [],
      concurrency: 1,
      maxAttempts: 3,
      bodyLimit: 1_000_000,
      cancelGraceMs: 10_000,
      keepRuns: null,
      keepDays: null,
      sseBufferBytes: 1 << 20,
      sseStallSeconds: 30,
      help: false,
    });
  });

  it('collects repeated --data and --origin, and reads the environment', () => {
    const args = parseServerArgs(
      ['--data', 'imagenet=/data/in', '--data', '/data/cifar', '--origin', 'https://a.example', '--origin', 'https://b.example'],
      { SIMCLR_SERVER_TOKEN: 'a-long-token', REDIS_URL: 'redis://q:6379' },
    );
    expect(args.dataRoots).toEqual({ imagenet: resolve('/data/in'), cifar: resolve('/data/cifar') });
    expect(args.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(args.token).toBe('a-long-token');
    expect(args.redisUrl).toBe('redis://q:6379');
  });

  it('refuses bad values with a CommandLineError naming the flag', () => {
    expect(() => parseServerArgs(['--port', '65536'], {})).toThrow(/--port must be an integer in \[0, 65535\]/);
    expect(() => parseServerArgs(['--keep-days', '0'], {})).toThrow(/--keep-days must be a number in \(0, 100000\]/);
    expect(() => parseServerArgs(['--data', 'bad name=/x'], {})).toThrow(CommandLineError);
    expect(() => parseServerArgs(['--token', 'short'], {})).toThrow(/--token must be at least 8 characters/);
    expect(() => parseServerArgs(['--host', '0.0.0.0'], {})).toThrow(/refusing to listen on 0\.0\.0\.0 without --token/);
    expect(() => parseServerArgs(['--prot', '1'], {})).toThrow('unknown option --prot');
  });

  it('listens beyond loopback only with a token', () => {
    expect(parseServerArgs(['--host', '0.0.0.0', '--token', 'a-long-token', '--keep-days', '1.5'], {})).toMatchObject({
      host: '0.0.0.0',
      keepDays: 1.5,
    });
  });
});
