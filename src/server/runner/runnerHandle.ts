import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '../../core/types';
import type { SelectedBackend } from '../../node/nodeBackends';
import type { HostToRunner, RunnerJob, RunnerToHost } from './runnerProtocol';
import type { ServerRunEvent } from '../../protocol/serverApi';

/** Parent side of runnerProcess.ts: one forked child per run (or per backend probe). */

export type RunnerOutcome =
  | { kind: 'done'; summary: RunSummary }
  | { kind: 'failed'; error: string; configIssue?: { path: string; message: string } }
  | { kind: 'crashed'; error: string }
  /** It did not stop within the grace period after stop() and was killed. */
  | { kind: 'killed'; error: string };

export interface RunnerHandle {
  /**
   * Asks the engine to stop after the current step (it writes a final checkpoint first); a child
   * still alive after the grace period is killed (outcome `killed`), so a cancel always ends.
   */
  stop(): void;
  /** Ends the child at once (server shutdown). */
  kill(): void;
  readonly outcome: Promise<RunnerOutcome>;
}

const runnerPath = fileURLToPath(new URL('./runnerProcess.ts', import.meta.url));

function forkRunner(): ChildProcess {
  return fork(runnerPath, [], {
    // The child is TypeScript: load it through tsx like the server itself.
    execArgv: ['--import', import.meta.resolve('tsx')],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function post(child: ChildProcess, message: HostToRunner): void {
  if (child.connected) child.send(message);
}

export interface RunnerOptions {
  /** How long stop() waits for the child to end before killing it (default 10 s). */
  cancelGraceMs?: number;
}

export function startRunner(job: RunnerJob, onEvent: (event: ServerRunEvent) => void, options: RunnerOptions = {}): RunnerHandle {
  const child = forkRunner();
  const graceMs = options.cancelGraceMs ?? 10_000;
  let graceTimer: NodeJS.Timeout | undefined;
  let killedAfterGrace = false;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const outcome = new Promise<RunnerOutcome>((resolve) => {
    let result: RunnerOutcome | null = null;
    child.on('message', (message: RunnerToHost) => {
      if (message.type === 'event') onEvent(message.event);
      else if (message.type === 'done') result = { kind: 'done', summary: message.summary };
      else if (message.type === 'failed') result = { kind: 'failed', error: message.error, configIssue: message.configIssue };
    });
    child.on('error', (error) => resolve(result ?? { kind: 'crashed', error: error.message }));
    child.on('exit', (code, signal) => {
      clearTimeout(graceTimer);
      // A child that reported its result and then hung on the way out still finished its run.
      if (result) resolve(result);
      else if (killedAfterGrace)
        resolve({ kind: 'killed', error: `it did not stop within ${formatMs(graceMs)} of the request, so its process was killed` });
      else resolve({ kind: 'crashed', error: `the run's process exited (${signal ?? `code ${code}`}) before finishing` });
    });
  });
  post(child, { type: 'start', job });
  return {
    stop: () => {
      post(child, { type: 'stop' });
      if (graceTimer !== undefined || !alive()) return;
      graceTimer = setTimeout(() => {
        if (!alive()) return;
        killedAfterGrace = true;
        child.kill('SIGKILL');
      }, graceMs);
    },
    kill: () => {
      if (alive()) child.kill('SIGKILL');
    },
    outcome,
  };
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Asks a fresh child which backend this machine gives (without holding it in the server process). */
export function probeBackend(requested: string | null): Promise<SelectedBackend> {
  const child = forkRunner();
  return new Promise((resolve, reject) => {
    let answered = false;
    child.on('message', (message: RunnerToHost) => {
      if (message.type === 'probed') {
        answered = true;
        resolve(message.backend);
      } else if (message.type === 'failed') {
        answered = true;
        reject(new Error(message.error));
      }
    });
    child.on('exit', (code) => {
      if (!answered) reject(new Error(`backend probe exited with code ${code}`));
    });
    post(child, { type: 'probe', backend: requested });
  });
}
