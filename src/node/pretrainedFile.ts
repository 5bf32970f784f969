import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunConfig } from '../core/config';
import { deserializeCheckpoint } from '../core/checkpoint';
import { encoderFromCheckpoint, type PretrainedEncoder } from '../core/pretrained';

/**
 * Node hosts' side of starting from pretrained weights: reading a checkpoint file (a shipped
 * encoder or any run's checkpoint.bin) and finding a shipped encoder by name.
 */

/** Where the shipped encoders live: the repository's public/pretrained (served to the lab as /pretrained/). */
export const SHIPPED_ENCODER_DIR = fileURLToPath(new URL('../../public/pretrained/', import.meta.url));

export function shippedEncoderPath(name: string): string {
  return `${SHIPPED_ENCODER_DIR}${name}.ckpt`;
}

/** Reads the encoder of the checkpoint at `path`; errors name the file as `label` (never a server path). */
export function readEncoderFile(path: string, label = basename(path)): PretrainedEncoder {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${label} does not exist` : `cannot read ${label} (${code ?? 'unknown error'})`);
  }
  let checkpoint: ReturnType<typeof deserializeCheckpoint>;
  try {
    checkpoint = deserializeCheckpoint(bytes);
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`);
  }
  return encoderFromCheckpoint(checkpoint, label);
}

/**
 * The encoder a run starts from: the file given (CLI `--init-from`), else the shipped encoder that
 * `pretrain.init` names, else none (the run pretrains).
 */
export function initialEncoderFor(config: RunConfig, initFrom?: string): PretrainedEncoder | undefined {
  if (initFrom) return readEncoderFile(initFrom, initFrom);
  const name = config.pretrain.init;
  if (name === null) return undefined;
  try {
    return readEncoderFile(shippedEncoderPath(name), `the shipped encoder "${name}"`);
  } catch (error) {
    throw new Error(`pretrain.init: ${(error as Error).message} (shipped encoders are public/pretrained/<name>.ckpt)`);
  }
}
