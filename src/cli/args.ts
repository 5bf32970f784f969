/** The flags of `npm run train` (parsed by the shared node/commandLine). */
import { parseCommandLine } from '../node/commandLine';

export interface TrainArgs {
  config?: string;
  set: string[];
  out: string;
  backend?: string;
  /** Start from the encoder in this checkpoint file instead of pretraining. */
  initFrom?: string;
  resume: boolean;
  quiet: boolean;
  help: boolean;
}

export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const flags = parseCommandLine(argv, {
    config: { type: 'string', short: 'c' },
    set: { type: 'string', multiple: true, short: 's' },
    out: { type: 'string', short: 'o' },
    backend: { type: 'string', short: 'b' },
    'init-from': { type: 'string' },
    resume: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  return {
    config: flags.config,
    set: flags.set,
    out: flags.out ?? `runs/${new Date().toISOString().replace(/[:.]/g, '-')}`,
    backend: flags.backend,
    initFrom: flags['init-from'],
    resume: flags.resume,
    quiet: flags.quiet,
    help: flags.help,
  };
}

export const TRAIN_USAGE = `Usage: npm run train -- --config FILE.json [--set path=value ...] [--out DIR] [--backend NAME] [--init-from FILE] [--resume] [--quiet]

  --config FILE   RunConfig JSON (any subset of fields; defaults fill the rest)
  --set P=V       override one field by dotted path, e.g. --set pretrain.temperature=0.2 (repeatable)
  --out DIR       output folder (config.json, metrics.jsonl, summary.json, checkpoint.bin); default runs/<time>
  --backend NAME  force a backend: tensorflow-gpu, tensorflow, webgpu, wasm, cpu
  --init-from FILE  start from the encoder in FILE (a shipped public/pretrained/*.ckpt or any run's
                  checkpoint.bin) and skip pretraining; without it, pretrain.init=NAME reads
                  public/pretrained/NAME.ckpt
  --resume        continue from DIR/checkpoint.bin if it exists
  --quiet         no progress bar

Exit status: 0 success, 2 invalid config (stderr names the field), 1 runtime failure.`;
