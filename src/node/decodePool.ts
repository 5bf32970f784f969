import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** [left, top, width, height] in pixels of the (EXIF-oriented) source image. */
export type PixelBox = [number, number, number, number];

export interface DecodeJob {
  path: string;
  /** Output side: every box is resized to size×size. */
  size: number;
  /** The source's size as measured beforehand (the worker checks it). */
  width: number;
  height: number;
  boxes: PixelBox[];
}

interface Pending {
  resolve: (views: Uint8Array[]) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  inFlight: number;
}

/**
 * A pool of worker threads decoding image files with sharp (imageDecodeWorker.mjs) at full
 * resolution and cutting boxes out of them, each resized to uint8 RGB size×size. Jobs go to the
 * least busy thread; the pool is the input pipeline's parallelism.
 */
export class DecodePool {
  private readonly workers: PoolWorker[] = [];
  private readonly pending = new Map<number, Pending & { worker: PoolWorker }>();
  private nextId = 1;
  private closed = false;

  constructor(readonly size = Math.max(1, Math.min(8, availableParallelism() - 1))) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./imageDecodeWorker.mjs', import.meta.url));
      const entry: PoolWorker = { worker, inFlight: 0 };
      worker.on('message', (message: { id: number; views?: Uint8Array[]; error?: string }) => {
        const job = this.pending.get(message.id);
        if (!job) return;
        this.pending.delete(message.id);
        if (--entry.inFlight === 0) entry.worker.unref();
        if (message.views) job.resolve(message.views);
        else job.reject(new Error(message.error ?? 'decode failed'));
      });
      worker.on('error', (error) => this.failAll(entry, error));
      // Idle threads must not keep a finished process alive.
      worker.unref();
      this.workers.push(entry);
    }
  }

  /** One size×size RGB image per box of `job`, in order. */
  decode(job: DecodeJob): Promise<Uint8Array[]> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    const target = this.workers.reduce((best, w) => (w.inFlight < best.inFlight ? w : best));
    const id = this.nextId++;
    target.inFlight++;
    if (target.inFlight === 1) target.worker.ref();
    return new Promise<Uint8Array[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: target });
      target.worker.postMessage({ id, ...job });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    for (const entry of this.workers) this.failAll(entry, new Error('decode pool closed'));
  }

  private failAll(entry: PoolWorker, error: Error): void {
    for (const [id, job] of this.pending) {
      if (job.worker !== entry) continue;
      this.pending.delete(id);
      job.reject(error);
    }
    entry.inFlight = 0;
  }
}
