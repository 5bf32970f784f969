import { deserializeCheckpoint, encoderFromCheckpoint, type PretrainedEncoder } from '../core';
import { importLegacyWeightsFile, importRunFile } from '../browser/runs/runFile';
import { type LabRunStore, readCheckpoint } from '../browser/runs/runsDb';
import type { StartRunRequest } from '../protocol/labWorkerApi';

/**
 * The worker's side of "start from pretrained": the shipped encoder that `pretrain.init` names
 * (fetched from the site's /pretrained/ folder), a stored run's checkpoint, or a file the user chose
 * (a checkpoint or weights download, an exported run, or a JSON weights download of earlier versions).
 */

const SIGNATURE = 'SIMCLRCK';

/** Any of the project's files that hold a pretrained model → its encoder; errors name the file. */
export function encoderFromBytes(bytes: Uint8Array, name: string): PretrainedEncoder {
  if (new TextDecoder().decode(bytes.subarray(0, SIGNATURE.length)) === SIGNATURE) {
    return encoderFromCheckpoint(deserializeCheckpoint(bytes), name);
  }
  try {
    return encoderFromCheckpoint(importLegacyWeightsFile(bytes), name);
  } catch (weightsError) {
    let run: ReturnType<typeof importRunFile>;
    try {
      run = importRunFile(bytes);
    } catch {
      throw new Error(`${name} is not a SimCLR Lab checkpoint, weights or run file (${(weightsError as Error).message})`);
    }
    if (!run.checkpoint) throw new Error(`${name} is a run file without a checkpoint: export a run that has one`);
    return encoderFromCheckpoint(deserializeCheckpoint(run.checkpoint), name);
  }
}

/** URL of a shipped encoder's file (.ckpt) or card (.json), under the site's base path. */
export function shippedEncoderUrl(name: string, extension: 'ckpt' | 'json'): string {
  return `${import.meta.env.BASE_URL}pretrained/${name}.${extension}`;
}

async function fetchShipped(name: string): Promise<Uint8Array> {
  const url = new URL(shippedEncoderUrl(name, 'ckpt'), self.location.origin);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`Could not download the pretrained encoder "${name}" (${(error as Error).message})`);
  }
  if (!response.ok) throw new Error(`The pretrained encoder "${name}" is not available (HTTP ${response.status} for ${url.pathname})`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function resolveInitialEncoder(request: StartRunRequest, store: LabRunStore): Promise<PretrainedEncoder | undefined> {
  const start = request.initialEncoder;
  if (start?.kind === 'file') return encoderFromBytes(start.bytes, start.name);
  if (start?.kind === 'run') {
    const checkpoint = await readCheckpoint(store, start.runId);
    if (!checkpoint) throw new Error(`Run "${start.label}" has no stored checkpoint to start from.`);
    return encoderFromCheckpoint(checkpoint, `run "${start.label}"`);
  }
  const name = request.config.pretrain.init;
  if (name === null) return undefined;
  return encoderFromCheckpoint(deserializeCheckpoint(await fetchShipped(name)), `the shipped encoder "${name}"`);
}
