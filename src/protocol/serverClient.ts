import type { RunConfigInput } from '../core/config';
import type { LabEvent } from './labWorkerApi';
import type { Checkpoint } from '../core/types';
import { deserializeCheckpoint } from '../core/checkpoint';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type {
  ApiError,
  HealthResponse,
  OfficialTrainerExport,
  RunListItem,
  RunPage,
  RunRecord,
  ServerRunStatus,
  ServerRunEvent,
  StoredEvent,
  StoredSweepEvent,
  SweepList,
  SweepListItem,
  SweepRecord,
  SweepStatus,
  ValidationIssue,
} from './serverApi';
import { isFinalSweepEvent, isTerminal } from './serverApi';

/**
 * Typed client of the GPU server's HTTP API, for the lab (browser) and for scripts. fetch only, no
 * Node APIs. Events are read with fetch streaming rather than EventSource, because EventSource
 * cannot send the Authorization header; reconnection with Last-Event-ID is built in.
 */

export type {
  HealthResponse,
  RunListItem,
  RunPage,
  RunRecord,
  ServerRunStatus,
  StoredEvent,
  ServerRunEvent,
  ValidationIssue,
} from './serverApi';
export type {
  StoredSweepEvent,
  SweepEvent,
  SweepList,
  SweepListItem,
  SweepRecord,
  SweepStatus,
  SweepTrial,
  SweepTrialStatus,
} from './serverApi';

export class ServerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(message);
    this.name = 'ServerApiError';
  }
}

export interface ServerClientOptions {
  /** e.g. 'http://gpu-box:8787' (no trailing /api). */
  baseUrl: string;
  token?: string | null;
  fetch?: typeof fetch;
}

export interface StreamEventsOptions {
  /** Resume after this event id (0 = from the start). */
  lastEventId?: number;
  signal?: AbortSignal;
  /** Reconnect after network errors (default true), waiting this long between tries. */
  reconnect?: boolean;
  retryMs?: number;
  /** Gives up after this many failed connections in a row (default 30). */
  maxRetries?: number;
}

export class SimclrServerClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ServerClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Bound: some browsers refuse a detached `fetch` called as a method of another object.
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  health(): Promise<HealthResponse> {
    return this.json('GET', '/api/health');
  }

  submitRun(config: RunConfigInput): Promise<{ id: string; status: ServerRunStatus }> {
    return this.json('POST', '/api/runs', config);
  }

  /** One page of the run list (compact summaries, oldest first); pass `nextCursor` back for the next. */
  listRuns(options: { status?: ServerRunStatus; limit?: number; cursor?: string } = {}): Promise<RunPage> {
    const query = new URLSearchParams();
    if (options.status) query.set('status', options.status);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    const text = query.toString();
    return this.json('GET', `/api/runs${text ? `?${text}` : ''}`);
  }

  /** Every run in the list, following the cursor page by page. */
  async allRuns(status?: ServerRunStatus): Promise<RunListItem[]> {
    const runs: RunListItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listRuns({ status, limit: 200, cursor });
      runs.push(...page.runs);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return runs;
  }

  /** Removes a finished run, its events and its checkpoint (409 while it is queued or running). */
  deleteRun(id: string): Promise<{ id: string; deleted: true }> {
    return this.json('DELETE', `/api/runs/${encodeURIComponent(id)}`, undefined, { 'content-type': 'application/json' });
  }

  getRun(id: string): Promise<RunRecord> {
    return this.json('GET', `/api/runs/${encodeURIComponent(id)}`);
  }

  cancelRun(id: string): Promise<{ id: string; status: ServerRunStatus; cancelRequested: boolean }> {
    return this.json('POST', `/api/runs/${encodeURIComponent(id)}/cancel`);
  }

  officialTrainerExport(config: RunConfigInput): Promise<OfficialTrainerExport> {
    return this.json('POST', '/api/export/official-trainer', config);
  }

  async checkpointBytes(id: string): Promise<Uint8Array> {
    const response = await this.request('GET', `/api/runs/${encodeURIComponent(id)}/checkpoint`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async checkpoint(id: string): Promise<Checkpoint> {
    return deserializeCheckpoint(await this.checkpointBytes(id));
  }

  /**
   * Every stored event of a run after `lastEventId`, then live ones, until the run's terminal status
   * event (included). Reconnects with Last-Event-ID after a dropped connection, so nothing is
   * missed or repeated.
   */
  events(id: string, options: StreamEventsOptions = {}): AsyncGenerator<StoredEvent> {
    return this.stream<StoredEvent['event']>(
      `/api/runs/${encodeURIComponent(id)}/events`,
      (event) => event.type === 'status' && isTerminal(event.status),
      options,
    );
  }

  /** Starts a sweep (the spec of src/sweep/spec.ts; a 400 names each bad field, e.g. `parameters.model.depth.values.1`). */
  createSweep(spec: Record<string, unknown>): Promise<{ id: string; status: SweepStatus }> {
    return this.json('POST', '/api/sweeps', spec);
  }

  /** Every sweep, oldest first, compact (no trials). */
  async listSweeps(): Promise<SweepListItem[]> {
    return (await this.json<SweepList>('GET', '/api/sweeps')).sweeps;
  }

  /** A sweep with its spec, status, trials (with their run ids) and best trial. */
  getSweep(id: string): Promise<SweepRecord> {
    return this.json('GET', `/api/sweeps/${encodeURIComponent(id)}`);
  }

  /** Cancels a running sweep and its queued and running trial runs (409 once it finished). */
  cancelSweep(id: string): Promise<{ id: string; status: SweepStatus }> {
    return this.json('POST', `/api/sweeps/${encodeURIComponent(id)}/cancel`);
  }

  /**
   * A sweep's events after `lastEventId` (trial starts, status changes, early-stopping metrics,
   * trial ends), then live ones, until its final `sweep-status` (included); reconnects like `events`.
   */
  sweepEvents(id: string, options: StreamEventsOptions = {}): AsyncGenerator<StoredSweepEvent> {
    return this.stream<StoredSweepEvent['event']>(`/api/sweeps/${encodeURIComponent(id)}/events`, isFinalSweepEvent, options);
  }

  /** The SSE reader both event streams share: Last-Event-ID reconnection, the server's `retry:`. */
  private async *stream<E>(
    path: string,
    isLast: (event: E) => boolean,
    options: StreamEventsOptions,
  ): AsyncGenerator<{ id: number; event: E }> {
    let lastEventId = options.lastEventId ?? 0;
    let failures = 0;
    // The caller's choice, else what the server asks for (`retry:`), else 2 s.
    let retryMs = options.retryMs ?? 2000;
    for (;;) {
      let response: Response;
      try {
        response = await this.request(
          'GET',
          path,
          undefined,
          {
            accept: 'text/event-stream',
            ...(lastEventId > 0 ? { 'last-event-id': String(lastEventId) } : {}),
          },
          options.signal,
        );
      } catch (error) {
        if (error instanceof ServerApiError || options.reconnect === false || ++failures > (options.maxRetries ?? 30)) throw error;
        await sleep(retryMs, options.signal);
        continue;
      }
      // 204: the run (sweep) is over and every event was delivered already.
      if (response.status === 204 || !response.body) return;
      const messages: EventSourceMessage[] = [];
      const parser = createParser({
        onEvent: (message) => messages.push(message),
        onRetry: (ms) => {
          if (options.retryMs === undefined) retryMs = ms;
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          failures = 0;
          parser.feed(value);
          for (const message of messages.splice(0)) {
            // Every event of this server carries its id; one without is not ours to count.
            if (message.id === undefined || !/^\d+$/.test(message.id)) continue;
            const stored = { id: Number(message.id), event: JSON.parse(message.data) as E };
            if (stored.id <= lastEventId) continue;
            lastEventId = stored.id;
            yield stored;
            if (isLast(stored.event)) return;
          }
        }
      } catch (error) {
        if (options.signal?.aborted || options.reconnect === false || ++failures > (options.maxRetries ?? 30)) throw error;
      } finally {
        reader.releaseLock();
      }
      if (options.reconnect === false) return;
      await sleep(retryMs, options.signal);
    }
  }

  private async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const response = await this.request(method, path, body, headers);
    return (await response.json()) as T;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      signal,
      headers: {
        ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        // Every state-changing request is JSON, body or not: the server refuses others (CSRF guard).
        ...(body !== undefined || method !== 'GET' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      let error: ApiError = { error: `${response.status} ${response.statusText}` };
      try {
        error = (await response.json()) as ApiError;
      } catch {
        // Not JSON: keep the status line.
      }
      throw new ServerApiError(response.status, error.error, error.issues ?? []);
    }
    return response;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * A server run's event in the lab's own event shape (what the browser worker emits), so that
 * `applyLabEvents` draws a server run in the same charts as a local one. Engine events pass through;
 * the server's status changes become a status line plus the controller state; a `resumed` marker
 * passes through (with a status line) so the folds drop the superseded steps.
 */
export function labEventsOf(event: ServerRunEvent): LabEvent[] {
  // Passed on: the lab's folds drop what a resume supersedes (each step is charted once).
  if (event.type === 'resumed')
    return [
      event,
      { type: 'status', time: event.time, message: `Server: resumed from its checkpoint (${event.stage} step ${event.step})` },
    ];
  if (event.type !== 'status') return [event];
  const detail = event.reason ?? event.error;
  const where = event.worker && event.worker !== 'local' ? ` on ${event.worker}` : '';
  const line: LabEvent = { type: 'status', time: event.time, message: `Server: ${event.status}${where}${detail ? ` — ${detail}` : ''}` };
  if (event.status === 'running') return [line, { type: 'controller', time: event.time, state: 'running' }];
  if (isTerminal(event.status)) return [line, { type: 'controller', time: event.time, state: 'idle' }];
  return [line];
}
