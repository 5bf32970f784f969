import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deserializeCheckpoint, serializeCheckpoint } from '../../core/checkpoint';
import { DataPathError, subsetRoots, withRootRelativePaths } from '../dataRoots';
import { chooseBackend, runOnEngine } from './engineRun';
import type { HostToRunner, RunnerJob, RunnerToHost } from './runnerProtocol';
import writeFileAtomic from 'write-file-atomic';

/**
 * Child process that runs one run's engine (forked by runnerHandle.ts). Training steps block the
 * JavaScript thread on some backends; keeping them here keeps the server (HTTP, SSE, BullMQ lock
 * renewal) responsive. It exits when its parent disappears, so a killed server leaves no orphan
 * writing into the store.
 */

function send(message: RunnerToHost): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

let stopRequested = false;

async function run(job: RunnerJob): Promise<void> {
  // What leaves this process for clients (errors, log lines) names data by root, not by server path.
  const roots = { checkpoints: dirname(job.checkpointPath), ...subsetRoots(job.dataRoots, job.subsetsDir) };
  const shown = (text: string) => withRootRelativePaths(text, roots);
  try {
    const resumeFrom = job.resumeFromPath ? deserializeCheckpoint(new Uint8Array(readFileSync(job.resumeFromPath))) : null;
    const summary = await runOnEngine({
      config: job.config,
      dataRoots: job.dataRoots,
      subsetsDir: job.subsetsDir,
      backend: job.backend,
      resumeFrom,
      shouldStop: () => stopRequested,
      // The engine emits the checkpoint event only after this returns: the file is complete on
      // disk before anyone hears of it, so a resume never reads half a checkpoint.
      onCheckpoint: (checkpoint) => {
        const bytes = serializeCheckpoint(checkpoint);
        writeFileAtomic.sync(job.checkpointPath, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      },
      onEvent: (event) => {
        if (event.type === 'log') {
          void send({ type: 'event', event: { ...event, message: shown(event.message) } });
        } else {
          void send({ type: 'event', event });
        }
      },
    });
    await send({ type: 'done', summary: summary.error === undefined ? summary : { ...summary, error: shown(summary.error) } });
  } catch (error) {
    const message = shown(error instanceof Error ? error.message : String(error));
    await send({
      type: 'failed',
      error: message,
      ...(error instanceof DataPathError ? { configIssue: { path: error.field, message } } : {}),
    });
  }
}

process.on('message', (message: HostToRunner) => {
  if (message.type === 'stop') stopRequested = true;
  else if (message.type === 'start') void run(message.job).finally(() => process.disconnect?.());
  else if (message.type === 'probe') {
    chooseBackend(message.backend)
      .then(async (backend) => send({ type: 'probed', backend }))
      .catch((error: unknown) => send({ type: 'failed', error: error instanceof Error ? error.message : String(error) }))
      .finally(() => process.disconnect?.());
  }
});
process.on('disconnect', () => process.exit(0));
