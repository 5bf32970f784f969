import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '../core/types';
import type { BackendInfo, HostToRunner, RunnerJob, RunnerToHost } from './runnerProtocol';
import type { ServerRunEvent } from './runTypes';

/** Parent side of runnerProcess.ts: one forked child per run (or per backend probe). */

export type RunnerOutcome =
  | { kind: 'done'; summary: RunSummary }
  | { kind: 'failed'; error: string; configIssue?: { path: string; message: string } }
  | { kind: 'crashed'; error: string };

export interface RunnerHandle {
  /** Asks the engine to stop after the current step (it writes a final checkpoint first). */
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

export function startRunner(job: RunnerJob, onEvent: (event: ServerRunEvent) => void): RunnerHandle {
  const child = forkRunner();
  const outcome = new Promise<RunnerOutcome>((resolve) => {
    let result: RunnerOutcome | null = null;
    child.on('message', (message: RunnerToHost) => {
      if (message.type === 'event') onEvent(message.event);
      else if (message.type === 'done') result = { kind: 'done', summary: message.summary };
      else if (message.type === 'failed') result = { kind: 'failed', error: message.error, configIssue: message.configIssue };
    });
    child.on('error', (error) => resolve(result ?? { kind: 'crashed', error: error.message }));
    child.on('exit', (code, signal) => {
      resolve(result ?? { kind: 'crashed', error: `the run's process exited (${signal ?? `code ${code}`}) before finishing` });
    });
  });
  post(child, { type: 'start', job });
  return {
    stop: () => post(child, { type: 'stop' }),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    outcome,
  };
}

/** Asks a fresh child which backend this machine gives (without holding it in the server process). */
export function probeBackend(requested: string | null): Promise<BackendInfo> {
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
