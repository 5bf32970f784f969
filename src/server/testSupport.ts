import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import type { RunConfigInput } from '../core/config';
import { SimclrServerClient } from './client';
import type { StoredEvent } from './runTypes';

/** Helpers for the server's tests: real processes on 127.0.0.1, temp stores, tiny runs. */

export interface SpawnedProcess {
  proc: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function spawnProcess(args: string[], env: Record<string, string> = {}): SpawnedProcess {
  const proc = spawn('npx', ['tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    output: () => text,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface SpawnedServer extends SpawnedProcess {
  url: string;
  /** The server's own pid (npx and tsx sit between it and `proc`). */
  pid: number;
  client: SimclrServerClient;
  /** kill -9 of the server process itself; resolves when the spawned tree has gone. */
  kill9(): Promise<number | string>;
}

/** Starts `npx tsx src/server/main.ts` and waits for its "listening on" line. */
export async function spawnServer(args: string[], env: Record<string, string> = {}, token: string | null = null): Promise<SpawnedServer> {
  const child = spawnProcess(['src/server/main.ts', '--host', '127.0.0.1', ...args], env);
  const url = await waitFor(child, /listening on (http:\/\/\S+)/, 60_000);
  const pid = Number(await waitFor(child, /listening on \S+ \(pid (\d+)\)/, 1000));
  const signalServer = (signal: NodeJS.Signals) => {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
    return child.exited;
  };
  return {
    ...child,
    url,
    pid,
    client: new SimclrServerClient({ baseUrl: url, token }),
    stop: (signal = 'SIGTERM') => signalServer(signal),
    kill9: () => signalServer('SIGKILL'),
  };
}

/** Waits until the process prints a line matching `pattern`; returns the first capture group. */
export async function waitFor(child: SpawnedProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(child.output());
    if (match) return match[1] ?? match[0];
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) throw new Error(`process exited before printing ${pattern}:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A run small enough for a CPU-only test machine: shapes, 16 px, the narrowest ResNet-18. */
export function tinyRun(overrides: { pretrainEpochs?: number; finetune?: boolean; seed?: number; trainSize?: number } = {}): RunConfigInput {
  return {
    seed: overrides.seed ?? 1,
    dataset: { name: 'shapes', trainSize: overrides.trainSize ?? 32, testSize: 16, imageSize: 16 },
    model: { depth: 18, widthMultiplier: 0.0625, projectionLayers: 1, projectionDim: 16 },
    pretrain: { epochs: overrides.pretrainEpochs ?? 1, batchSize: 8, knnK: 5, warmupEpochs: 0 },
    finetune: { enabled: overrides.finetune ?? false, epochs: 1, batchSize: 8, labelFraction: 0.5, fromProjectionLayer: 1, baseline: false },
    distill: { enabled: false },
  };
}

/** Collects a run's events until its terminal status. */
export async function collectEvents(client: SimclrServerClient, id: string, lastEventId = 0): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const stored of client.events(id, { lastEventId, retryMs: 200 })) events.push(stored);
  return events;
}

export interface TinyImageNet {
  root: string;
  /** WordNet ids, sorted. */
  classes: string[];
  /** Training file names that appear in the real 1percent.txt. */
  listed: string[];
  /** Every training file, absolute, in loader order (class, then name). */
  trainFiles: string[];
  subsetsDir: string;
}

/**
 * Writes a tiny ImageNet-layout folder: real CIFAR-10 test images as JPEGs (upscaled to
 * width×height), under class folders and file names taken from the real 1percent.txt, plus a few
 * unlisted training images per class and a val/ split.
 */
export async function buildTinyImageNet(
  dir: string,
  options: { classes?: number; listedPerClass?: number; extraPerClass?: number; valPerClass?: number; width?: number; height?: number } = {},
): Promise<TinyImageNet> {
  const sharp = (await import('sharp')).default;
  const { readFileSync, mkdirSync, writeFileSync } = await import('node:fs');
  const subsetsDir = resolvePath('../shared/imagenet_subsets');
  const list = readFileSync(join(subsetsDir, '1percent.txt'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const classCount = options.classes ?? 3;
  const listedPerClass = options.listedPerClass ?? 2;
  const byClass = new Map<string, string[]>();
  for (const name of list) {
    const wnid = name.split('_')[0];
    if (!byClass.has(wnid) && byClass.size >= classCount) continue;
    const names = byClass.get(wnid) ?? [];
    if (names.length < listedPerClass) names.push(name);
    byClass.set(wnid, names);
  }
  const sprite = await sharp(resolvePath('public/datasets/cifar10/test_batch.png')).removeAlpha().raw().toBuffer();
  let next = 0;
  const jpeg = async () => {
    const pixels = sprite.subarray(next * 1024 * 3, (next + 1) * 1024 * 3);
    next++;
    return sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } })
      .resize(options.width ?? 64, options.height ?? 48, { fit: 'fill' })
      .jpeg({ quality: 95 })
      .toBuffer();
  };
  const classes = [...byClass.keys()].sort();
  const listed: string[] = [];
  const trainFiles: string[] = [];
  for (const wnid of classes) {
    const names = [...byClass.get(wnid)!];
    listed.push(...names);
    for (let k = 0; k < (options.extraPerClass ?? 2); k++) names.push(`${wnid}_${9_000_000 + k}.JPEG`);
    mkdirSync(join(dir, 'train', wnid), { recursive: true });
    for (const name of names.sort()) {
      writeFileSync(join(dir, 'train', wnid, name), await jpeg());
      trainFiles.push(join(dir, 'train', wnid, name));
    }
    mkdirSync(join(dir, 'val', wnid), { recursive: true });
    for (let k = 0; k < (options.valPerClass ?? 2); k++) {
      writeFileSync(join(dir, 'val', wnid, `ILSVRC2012_val_${String(next).padStart(8, '0')}.JPEG`), await jpeg());
    }
  }
  return { root: dir, classes, listed, trainFiles, subsetsDir };
}
