/**
 * Writes the exact images a run config trains and tests on, for an independent implementation to
 * read (scripts/reference_simclr_cifar.py): the dataset is loaded through the engine's own loader
 * (same caps, same seeded class-balanced sample, same labelled subset), so both sides see the same
 * pixels in the same order.
 *
 *   npx tsx scripts/export-run-images.ts --config examples/x.json [--set path=value ...] --out DIR
 *
 * DIR/train.u8 and DIR/test.u8: uint8 N×H×W×3 (HWC, row-major), DIR/meta.json: labels, the
 * labelled subset (positions in the train split), class names and the resolved config.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyOverrides, loadDataset, labelledSubset, parseRunConfig } from '../src/core';
import { CommandLineError, parseCommandLine, printUsage, runCommand } from '../src/node/commandLine';
import { nodeDataSource } from '../src/node/nodeDataSource';

const usage = 'usage: npx tsx scripts/export-run-images.ts --config FILE.json [--set path=value ...] --out DIR';

async function main(): Promise<number> {
  const flags = parseCommandLine(process.argv.slice(2), {
    config: { type: 'string' },
    set: { type: 'string', multiple: true },
    out: { type: 'string' },
  });
  if (flags.help) return printUsage(usage);
  const configPath = flags.config;
  const outDir = flags.out;
  if (!configPath || !outDir) throw new CommandLineError('--config and --out are required');
  const raw = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const { input, issues } = applyOverrides(raw, flags.set);
  if (issues.length > 0) {
    process.stderr.write(`${issues.map((i) => `${i.path}: ${i.message}`).join('\n')}\n`);
    return 2;
  }
  const config = parseRunConfig(input);
  if (config.dataset.name === 'folder' || config.dataset.name === 'imagenet') {
    process.stderr.write(`dataset ${config.dataset.name} is not supported here (in-memory datasets only)\n`);
    return 2;
  }
  const dataset = await loadDataset(config, { source: nodeDataSource() });
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const all = (count: number) => Array.from({ length: count }, (_, i) => i);
  writeFileSync(join(out, 'train.u8'), await dataset.train.readBatch(all(dataset.train.count)));
  writeFileSync(join(out, 'test.u8'), await dataset.test.readBatch(all(dataset.test.count)));
  const meta = {
    imageSize: dataset.train.imageSize,
    classNames: dataset.classNames,
    trainLabels: Array.from(dataset.train.labels),
    testLabels: Array.from(dataset.test.labels),
    labelled: Array.from(labelledSubset(config, dataset)),
    config,
  };
  writeFileSync(join(out, 'meta.json'), `${JSON.stringify(meta)}\n`);
  process.stderr.write(`${dataset.train.count} train, ${dataset.test.count} test, ${meta.labelled.length} labelled images → ${out}\n`);
  return 0;
}

runCommand(main, { usage });
