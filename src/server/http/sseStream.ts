import type { ServerResponse } from 'node:http';
import type { SqliteRunStore } from '../store/runStore';
import type { StoredEvent } from '../../protocol/serverApi';
import { isTerminal } from '../../protocol/serverApi';

/**
 * One client's Server-Sent Events stream of a run: the stored history after `Last-Event-ID`, read
 * from SQLite a page at a time, then live events, until the run's terminal status.
 *
 * Memory stays bounded whatever the client does:
 * - every write respects backpressure: when `write()` returns false nothing more is written until
 *   'drain';
 * - live events are never queued for a client that is behind: it catches up from the store, a page
 *   at a time, once its socket drains;
 * - a client whose unsent bytes exceed `bufferBytes`, or that does not drain within `stallSeconds`,
 *   is disconnected; it reconnects with Last-Event-ID and loses nothing.
 * Each page is one short synchronous stretch (`pageSize` rows), then the event loop gets a turn.
 */

export interface SseOptions {
  /** Seconds between keep-alive comments. */
  keepAliveSeconds: number;
  /** Unsent bytes one client may hold on the server before it is dropped. */
  bufferBytes: number;
  /** A client still not draining after this long is dropped. */
  stallSeconds: number;
  /** Events read from the store per page (one synchronous stretch). */
  pageSize: number;
}

export const defaultSseOptions: SseOptions = { keepAliveSeconds: 15, bufferBytes: 1 << 20, stallSeconds: 30, pageSize: 500 };

/** What one open stream holds now (for tests and diagnostics). */
export interface SseClientState {
  runId: string;
  /** Id of the last event written to the client. */
  cursor: number;
  /** Bytes written but not yet handed to the kernel. */
  bufferedBytes: number;
  /** The most buffered bytes seen on this stream. */
  peakBufferedBytes: number;
  mode: 'catch-up' | 'live';
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The open event streams, as they stand now. */
    sseClients(): SseClientState[];
  }
}

export class SseHub {
  private readonly open = new Set<SseClient>();

  constructor(
    private readonly store: SqliteRunStore,
    private readonly options: SseOptions,
  ) {}

  /** Starts streaming run `runId` after event `lastEventId` on a response the caller has hijacked. */
  stream(runId: string, lastEventId: number, raw: ServerResponse): void {
    const client = new SseClient(this.store, this.options, runId, lastEventId, raw, () => this.open.delete(client));
    this.open.add(client);
    client.start();
  }

  clients(): SseClientState[] {
    return [...this.open].map((client) => client.state());
  }
}

/** SSE text of one stored event; the data is the stored JSON (one line: JSON.stringify escapes newlines). */
function frame(id: number, data: string): string {
  return `id: ${id}\ndata: ${data}\n\n`;
}

/** Live events reach every client of a run: each is serialised once, not once per client. */
const serialised = new WeakMap<StoredEvent, string>();
function dataOf(stored: StoredEvent): string {
  let data = serialised.get(stored);
  if (data === undefined) {
    data = JSON.stringify(stored.event);
    serialised.set(stored, data);
  }
  return data;
}

class SseClient {
  private cursor: number;
  private mode: 'catch-up' | 'live' = 'catch-up';
  private ended = false;
  private pumping = false;
  private peak = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private waitingForDrain: (() => void) | null = null;

  constructor(
    private readonly store: SqliteRunStore,
    private readonly options: SseOptions,
    private readonly runId: string,
    lastEventId: number,
    private readonly raw: ServerResponse,
    private readonly onEnd: () => void,
  ) {
    this.cursor = lastEventId;
  }

  start(): void {
    this.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.raw.on('close', () => this.end(false));
    this.raw.on('drain', () => this.onDrain());
    this.store.events.on('event', this.onLive);
    this.store.events.on('deleted', this.onDeleted);
    this.keepAlive = setInterval(() => {
      // A client that is behind gets no keep-alive: its socket has data to send already.
      if (this.raw.writableLength === 0) this.raw.write(': keep-alive\n\n');
    }, this.options.keepAliveSeconds * 1000);
    this.write('retry: 2000\n\n');
    void this.pump();
  }

  state(): SseClientState {
    return {
      runId: this.runId,
      cursor: this.cursor,
      bufferedBytes: this.raw.writableLength,
      peakBufferedBytes: this.peak,
      mode: this.mode,
    };
  }

  /** Writes a chunk; false when the client must drain before the next one. Drops an overfull client. */
  private write(chunk: string): boolean {
    if (this.ended) return false;
    const ok = this.raw.write(chunk);
    const buffered = this.raw.writableLength;
    this.peak = Math.max(this.peak, buffered);
    // Over the bound, unless it is this one event alone (a single event larger than the bound).
    if (buffered > this.options.bufferBytes && buffered > Buffer.byteLength(chunk)) {
      this.drop();
      return false;
    }
    return ok;
  }

  /** Replays stored events a page at a time until caught up, then switches to live events. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.ended) {
        if (this.raw.writableNeedDrain && !(await this.drained())) return;
        const rows = this.store.eventRowsAfter(this.runId, this.cursor, this.options.pageSize);
        if (rows.length === 0) {
          // Caught up. A finished (or deleted) run has nothing more to come; otherwise live events
          // take over, in the same synchronous stretch as the read, so none can slip between.
          const run = this.store.getRun(this.runId);
          if (!run || isTerminal(run.status)) return this.end(true);
          this.mode = 'live';
          return;
        }
        for (const row of rows) {
          const more = this.write(frame(row.id, row.data));
          this.cursor = row.id;
          if (this.ended) return;
          if (isTerminalStatusText(row.data)) return this.end(true);
          if (!more && !(await this.drained())) return;
        }
        // One page per turn of the event loop: other requests are served between pages.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.pumping = false;
    }
  }

  private readonly onLive = (runId: string, stored: StoredEvent): void => {
    if (runId !== this.runId || this.ended) return;
    const terminal = stored.event.type === 'status' && isTerminal(stored.event.status);
    if (this.mode === 'live') {
      if (stored.id === this.cursor + 1) {
        const more = this.write(frame(stored.id, dataOf(stored)));
        this.cursor = stored.id;
        if (terminal) {
          this.end(true);
          return;
        }
        // Behind now: later events wait in the store, not in memory.
        if (!more) {
          this.mode = 'catch-up';
          void this.pump();
        }
        return;
      }
      // A Last-Event-ID beyond the newest event: the terminal status is still delivered and ends
      // the stream, so no client is left with keep-alives forever.
      if (stored.id <= this.cursor && terminal) {
        this.write(frame(stored.id, dataOf(stored)));
        this.end(true);
        return;
      }
      if (stored.id > this.cursor + 1) {
        this.mode = 'catch-up';
        void this.pump();
      }
    }
    // In catch-up mode the pump reads this event from the store in its turn.
  };

  private readonly onDeleted = (runId: string): void => {
    if (runId === this.runId) this.end(true);
  };

  /** Resolves true once the client drained, false if the stream ended meanwhile (stalled, closed). */
  private drained(): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.waitingForDrain = () => {
        clearTimeout(this.stallTimer);
        this.waitingForDrain = null;
        resolve(!this.ended);
      };
      this.stallTimer = setTimeout(() => this.drop(), this.options.stallSeconds * 1000);
    });
  }

  private onDrain(): void {
    this.waitingForDrain?.();
  }

  /** A client that cannot keep up: close its connection (it comes back with Last-Event-ID). */
  private drop(): void {
    this.end(false);
    this.raw.destroy();
  }

  private end(graceful: boolean): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepAlive);
    clearTimeout(this.stallTimer);
    this.store.events.off('event', this.onLive);
    this.store.events.off('deleted', this.onDeleted);
    this.waitingForDrain?.();
    if (graceful) this.raw.end();
    this.onEnd();
  }
}

/** Stored JSON of a terminal status event? (Checked on the text, so a replay parses nothing.) */
function isTerminalStatusText(data: string): boolean {
  if (!data.startsWith('{"type":"status"')) return false;
  const event = JSON.parse(data) as { status: Parameters<typeof isTerminal>[0] };
  return isTerminal(event.status);
}
