import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { SqliteRunStore } from '../store/runStore';
import type { SweepStore } from '../store/sweepStore';
import type { ApiError, StoredEvent, StoredSweepEvent } from '../../protocol/serverApi';
import { isFinalSweepEvent, isSweepFinished, isTerminal } from '../../protocol/serverApi';

/**
 * One client's Server-Sent Events stream of a run (or a sweep: the same machinery over another
 * event log, see `SseSource`): the stored history after `Last-Event-ID`, read from SQLite a page at
 * a time, then live events, until the subject's final event.
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

/** A stored event as the live notification carries it. */
export interface LiveEvent {
  id: number;
  event: object;
}

/**
 * An event log the hub can stream: runs and sweeps each provide one. The emitter sends 'event'
 * (subjectId, LiveEvent) after each commit and 'deleted' (subjectId) when a subject goes away.
 */
export interface SseSource {
  readonly events: EventEmitter;
  /** Stored events after `afterId`, oldest first, as their stored JSON text. */
  rowsAfter(subjectId: string, afterId: number, limit: number): { id: number; data: string }[];
  /** Nothing more will come: the subject finished, was deleted or never existed. */
  finished(subjectId: string): boolean;
  /** The subject's last event (the stream ends after it). */
  isFinal(event: object): boolean;
  /** The same, on the stored text (a replay parses only what might be final). */
  isFinalText(data: string): boolean;
}

/** A run's event log: it ends with the run's terminal status event. */
export function runEventSource(store: SqliteRunStore): SseSource {
  return {
    events: store.events,
    rowsAfter: (id, afterId, limit) => store.eventRowsAfter(id, afterId, limit),
    finished: (id) => {
      const run = store.getRun(id);
      return !run || isTerminal(run.status);
    },
    isFinal: (event) => {
      const e = event as StoredEvent['event'];
      return e.type === 'status' && isTerminal(e.status);
    },
    isFinalText: isTerminalStatusText,
  };
}

/** A sweep's event log: it ends with a final `sweep-status` (completed, cancelled, failed). */
export function sweepEventSource(store: SweepStore): SseSource {
  return {
    events: store.events,
    rowsAfter: (id, afterId, limit) => store.eventRowsAfter(id, afterId, limit),
    finished: (id) => {
      const sweep = store.getSweep(id);
      return !sweep || isSweepFinished(sweep.status);
    },
    isFinal: (event) => isFinalSweepEvent(event as StoredSweepEvent['event']),
    isFinalText: (data) => data.startsWith('{"type":"sweep-status"') && isFinalSweepEvent(JSON.parse(data) as StoredSweepEvent['event']),
  };
}

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
  /** The run (or sweep) streamed. */
  subjectId: string;
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
    private readonly source: SseSource,
    private readonly options: SseOptions,
  ) {}

  /** Starts streaming `subjectId`'s events after `lastEventId` on a response the caller has hijacked. */
  stream(subjectId: string, lastEventId: number, raw: ServerResponse): void {
    const client = new SseClient(this.source, this.options, subjectId, lastEventId, raw, () => this.open.delete(client));
    this.open.add(client);
    client.start();
  }

  clients(): SseClientState[] {
    return [...this.open].map((client) => client.state());
  }
}

/**
 * The events route of a run or a sweep: `Last-Event-ID` (header, or `?lastEventId=` for clients
 * that cannot set headers) checked, 204 when the subject is over and nothing is left to send (that
 * also stops an EventSource from reconnecting), else the stream. The caller answered 404 already.
 */
export function serveEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  hub: SseHub,
  subject: { id: string; finished: boolean; eventCount: number },
) {
  const lastEventId = parseLastEventId(request.headers['last-event-id'] ?? (request.query as { lastEventId?: unknown }).lastEventId);
  if (lastEventId === null) {
    return reply.code(400).send({
      error: 'bad Last-Event-ID',
      issues: [{ path: 'Last-Event-ID', message: 'must be a non-negative decimal integer' }],
    } satisfies ApiError);
  }
  if (subject.finished && lastEventId >= subject.eventCount) return reply.code(204).send();
  reply.hijack();
  hub.stream(subject.id, lastEventId, reply.raw);
}

/** Absent: 0. Otherwise only a non-negative decimal integer (no sign, exponent, spaces or list). */
function parseLastEventId(value: unknown): number | null {
  if (value === undefined) return 0;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

/** SSE text of one stored event; the data is the stored JSON (one line: JSON.stringify escapes newlines). */
function frame(id: number, data: string): string {
  return `id: ${id}\ndata: ${data}\n\n`;
}

/** Live events reach every client of a run: each is serialised once, not once per client. */
const serialised = new WeakMap<LiveEvent, string>();
function dataOf(stored: LiveEvent): string {
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
    private readonly source: SseSource,
    private readonly options: SseOptions,
    private readonly subjectId: string,
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
    this.source.events.on('event', this.onLive);
    this.source.events.on('deleted', this.onDeleted);
    this.keepAlive = setInterval(() => {
      // A client that is behind gets no keep-alive: its socket has data to send already.
      if (this.raw.writableLength === 0) this.raw.write(': keep-alive\n\n');
    }, this.options.keepAliveSeconds * 1000);
    this.write('retry: 2000\n\n');
    void this.pump();
  }

  state(): SseClientState {
    return {
      subjectId: this.subjectId,
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
        const rows = this.source.rowsAfter(this.subjectId, this.cursor, this.options.pageSize);
        if (rows.length === 0) {
          // Caught up. A finished (or deleted) subject has nothing more to come; otherwise live
          // events take over, in the same synchronous stretch as the read, so none can slip between.
          if (this.source.finished(this.subjectId)) return this.end(true);
          this.mode = 'live';
          return;
        }
        for (const row of rows) {
          const more = this.write(frame(row.id, row.data));
          this.cursor = row.id;
          if (this.ended) return;
          if (this.source.isFinalText(row.data)) return this.end(true);
          if (!more && !(await this.drained())) return;
        }
        // One page per turn of the event loop: other requests are served between pages.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.pumping = false;
    }
  }

  private readonly onLive = (subjectId: string, stored: LiveEvent): void => {
    if (subjectId !== this.subjectId || this.ended) return;
    const terminal = this.source.isFinal(stored.event);
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

  private readonly onDeleted = (subjectId: string): void => {
    if (subjectId === this.subjectId) this.end(true);
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
    this.source.events.off('event', this.onLive);
    this.source.events.off('deleted', this.onDeleted);
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
