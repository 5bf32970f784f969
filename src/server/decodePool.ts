import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** [left, top, width, height] as fractions of the source image. */
export type CropBox = [number, number, number, number];

interface Pending {
  resolve: (pixels: Uint8Array) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  inFlight: number;
}

/**
 * A pool of worker threads decoding image files with sharp (imageDecodeWorker.mjs) to uint8 RGB
 * size×size. Jobs go to the least busy thread; the pool is the input pipeline's parallelism.
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
      worker.on('message', (message: { id: number; pixels?: Uint8Array; error?: string }) => {
        const job = this.pending.get(message.id);
        if (!job) return;
        this.pending.delete(message.id);
        if (--entry.inFlight === 0) entry.worker.unref();
        if (message.pixels) job.resolve(message.pixels);
        else job.reject(new Error(message.error ?? 'decode failed'));
      });
      worker.on('error', (error) => this.failAll(entry, error));
      // Idle threads must not keep a finished process alive.
      worker.unref();
      this.workers.push(entry);
    }
  }

  decode(path: string, size: number, crop: CropBox | null = null): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    const target = this.workers.reduce((best, w) => (w.inFlight < best.inFlight ? w : best));
    const id = this.nextId++;
    target.inFlight++;
    if (target.inFlight === 1) target.worker.ref();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: target });
      target.worker.postMessage({ id, path, size, crop });
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
