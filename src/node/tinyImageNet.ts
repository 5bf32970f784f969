import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import sharp from 'sharp';

/** The official subset lists, which CI's layout keeps beside the checkout (../shared). */
export const officialSubsetsDir = resolvePath('../shared/imagenet_subsets');

/**
 * Why tests that need the official 1% list must skip (null when it is there): a checkout that is
 * not beside ../shared has no list, and a missing fixture is not a failure of the code under test.
 */
export function officialListMissing(): string | null {
  const file = join(officialSubsetsDir, '1percent.txt');
  return existsSync(file) ? null : `the official subset list ${file} is not beside this checkout`;
}

/** File names in the official style for `classes` made-up WordNet ids, when the real list is absent. */
function syntheticList(classes: number, perClass: number): string[] {
  const names: string[] = [];
  for (let c = 0; c < classes; c++) {
    for (let k = 0; k < perClass; k++) names.push(`n${String(1_000_000 + c).padStart(8, '0')}_${1000 + k}.JPEG`);
  }
  return names;
}

/** A small ImageNet-layout folder built from real CIFAR-10 images, for the loader's tests and benchmark. */

export interface TinyImageNet {
  root: string;
  /** WordNet ids, sorted. */
  classes: string[];
  /** Training file names that appear in the real 1percent.txt (made-up names when it is absent). */
  listed: string[];
  /** Whether `listed` came from the official list (see officialListMissing). */
  official: boolean;
  /** Every training file, absolute, in loader order (class, then name). */
  trainFiles: string[];
  subsetsDir: string;
}

/**
 * Writes a tiny ImageNet-layout folder: real CIFAR-10 test images as JPEGs (upscaled to
 * width×height), under class folders and file names taken from the real 1percent.txt, plus a few
 * unlisted training images per class and a val/ split.
 */
export async function buildTinyImageNet(
  dir: string,
  options: {
    classes?: number;
    listedPerClass?: number;
    extraPerClass?: number;
    valPerClass?: number;
    width?: number;
    height?: number;
  } = {},
): Promise<TinyImageNet> {
  const subsetsDir = officialSubsetsDir;
  const classCount = options.classes ?? 3;
  const listedPerClass = options.listedPerClass ?? 2;
  // The benchmark only needs realistic names, so it still runs in a checkout without the list.
  const official = officialListMissing() === null;
  const list = official
    ? readFileSync(join(subsetsDir, '1percent.txt'), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
    : syntheticList(classCount, listedPerClass);
  const byClass = new Map<string, string[]>();
  for (const name of list) {
    const wnid = name.split('_')[0];
    if (!byClass.has(wnid) && byClass.size >= classCount) continue;
    const names = byClass.get(wnid) ?? [];
    if (names.length < listedPerClass) names.push(name);
    byClass.set(wnid, names);
  }
  const sprite = await sharp(resolvePath('public/datasets/cifar10/test_batch.png')).removeAlpha().raw().toBuffer();
  let next = 0;
  const jpeg = async () => {
    const pixels = sprite.subarray(next * 1024 * 3, (next + 1) * 1024 * 3);
    next++;
    return sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } })
      .resize(options.width ?? 64, options.height ?? 48, { fit: 'fill' })
      .jpeg({ quality: 95 })
      .toBuffer();
  };
  const classes = [...byClass.keys()].sort();
  const listed: string[] = [];
  const trainFiles: string[] = [];
  for (const wnid of classes) {
    const names = [...byClass.get(wnid)!];
    listed.push(...names);
    for (let k = 0; k < (options.extraPerClass ?? 2); k++) names.push(`${wnid}_${9_000_000 + k}.JPEG`);
    mkdirSync(join(dir, 'train', wnid), { recursive: true });
    for (const name of names.sort()) {
      writeFileSync(join(dir, 'train', wnid, name), await jpeg());
      trainFiles.push(join(dir, 'train', wnid, name));
    }
    mkdirSync(join(dir, 'val', wnid), { recursive: true });
    for (let k = 0; k < (options.valPerClass ?? 2); k++) {
      writeFileSync(join(dir, 'val', wnid, `ILSVRC2012_val_${String(next).padStart(8, '0')}.JPEG`), await jpeg());
    }
  }
  return { root: dir, classes, listed, official, trainFiles, subsetsDir };
}
