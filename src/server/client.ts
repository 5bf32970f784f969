import type { RunConfigInput } from '../core/config';
import type { LabEvent } from '../worker/api';
import type { Checkpoint } from '../core/types';
import { deserializeCheckpoint } from '../core/checkpoint';
import type { OfficialTrainerExport } from './officialTrainerExport';
import type { ApiError, HealthResponse, RunRecord, RunStatus, ServerRunEvent, StoredEvent, ValidationIssue } from './runTypes';
import { isTerminal } from './runTypes';
import { SseParser } from './sseParser';

/**
 * Typed client of the GPU server's HTTP API, for the lab (browser) and for scripts. fetch only, no
 * Node APIs. Events are read with fetch streaming rather than EventSource, because EventSource
 * cannot send the Authorization header; reconnection with Last-Event-ID is built in.
 */

export type { HealthResponse, RunRecord, RunStatus, StoredEvent, ServerRunEvent, ValidationIssue } from './runTypes';

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

  submitRun(config: RunConfigInput): Promise<{ id: string; status: RunStatus }> {
    return this.json('POST', '/api/runs', config);
  }

  async listRuns(status?: RunStatus): Promise<RunRecord[]> {
    const { runs } = await this.json<{ runs: RunRecord[] }>('GET', `/api/runs${status ? `?status=${status}` : ''}`);
    return runs;
  }

  getRun(id: string): Promise<RunRecord> {
    return this.json('GET', `/api/runs/${encodeURIComponent(id)}`);
  }

  cancelRun(id: string): Promise<{ id: string; status: RunStatus; cancelRequested: boolean }> {
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
  async *events(id: string, options: StreamEventsOptions = {}): AsyncGenerator<StoredEvent> {
    let lastEventId = options.lastEventId ?? 0;
    let failures = 0;
    const retryMs = options.retryMs ?? 2000;
    for (;;) {
      let response: Response;
      try {
        response = await this.request('GET', `/api/runs/${encodeURIComponent(id)}/events`, undefined, {
          accept: 'text/event-stream',
          ...(lastEventId > 0 ? { 'last-event-id': String(lastEventId) } : {}),
        }, options.signal);
      } catch (error) {
        if (error instanceof ServerApiError || options.reconnect === false || ++failures > (options.maxRetries ?? 30)) throw error;
        await sleep(retryMs, options.signal);
        continue;
      }
      // 204: the run is over and every event was delivered already.
      if (response.status === 204 || !response.body) return;
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          failures = 0;
          for (const message of parser.push(value)) {
            const stored: StoredEvent = { id: Number(message.lastEventId), event: JSON.parse(message.data) as StoredEvent['event'] };
            if (stored.id <= lastEventId) continue;
            lastEventId = stored.id;
            yield stored;
            if (stored.event.type === 'status' && isTerminal(stored.event.status)) return;
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

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    return (await response.json()) as T;
  }

  private async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
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
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/**
 * A server run's event in the lab's own event shape (what the browser worker emits), so that
 * `applyLabEvents` draws a server run in the same charts as a local one. Engine events pass through;
 * the server's status changes become a status line plus the controller state.
 */
export function labEventsOf(event: ServerRunEvent): LabEvent[] {
  if (event.type !== 'status') return [event];
  const detail = event.reason ?? event.error;
  const where = event.worker && event.worker !== 'local' ? ` on ${event.worker}` : '';
  const line: LabEvent = { type: 'status', time: event.time, message: `Server: ${event.status}${where}${detail ? ` — ${detail}` : ''}` };
  if (event.status === 'running') return [line, { type: 'controller', time: event.time, state: 'running' }];
  if (isTerminal(event.status)) return [line, { type: 'controller', time: event.time, state: 'idle' }];
  return [line];
}
