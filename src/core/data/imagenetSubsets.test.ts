import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSubsetList, SubsetListError, wnidOfFile } from './imagenetSubsets';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const subsetsDir = resolve(repoRoot, '../shared/imagenet_subsets');
const haveLists = existsSync(resolve(subsetsDir, '1percent.txt')) && existsSync(resolve(subsetsDir, '10percent.txt'));
if (!haveLists) console.warn(`skipping the official ImageNet subset list tests: ${subsetsDir} has no 1percent.txt/10percent.txt`);

describe.skipIf(!haveLists)('parseSubsetList on the official lists', () => {
  for (const [file, count] of [
    ['1percent.txt', 12811],
    ['10percent.txt', 128116],
  ] as const) {
    it(`${file}: ${count} files over 1000 sorted classes`, () => {
      const list = parseSubsetList(readFileSync(resolve(subsetsDir, file), 'utf8'));
      expect(list.files).toHaveLength(count);
      expect(list.files[0]).toMatch(/^n\d{8}_\d+\.JPEG$/);
      expect(list.classes).toHaveLength(1000);
      expect(list.classes).toEqual([...list.classes].sort());
      expect(list.classes[0]).toBe('n01440764');
      // Every class has a share of the subset (about 13 or 128 images each).
      const perClass = new Map<string, number>();
      for (const name of list.files) perClass.set(wnidOfFile(name)!, (perClass.get(wnidOfFile(name)!) ?? 0) + 1);
      expect(Math.min(...perClass.values())).toBeGreaterThan(count / 1000 / 2);
    });
  }
});

describe('parseSubsetList validation', () => {
  it('accepts blank lines and CRLF, keeps list order', () => {
    const list = parseSubsetList('n02000000_2.JPEG\r\n\nn01000000_1.JPEG\n');
    expect(list).toEqual({ files: ['n02000000_2.JPEG', 'n01000000_1.JPEG'], classes: ['n01000000', 'n02000000'] });
  });

  it('reports every bad line with its number', () => {
    const text = ['n01440764_1.JPEG', 'cat.jpg', 'n01440764_1.JPEG', 'n0144_2.JPEG'].join('\n');
    let error: unknown;
    try {
      parseSubsetList(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SubsetListError);
    const problems = (error as SubsetListError).problems;
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect((error as Error).message).toContain('line 2: "cat.jpg" is not an ImageNet training file name');
    expect((error as Error).message).toContain('line 3: n01440764_1.JPEG repeats line 1');
    expect(() => parseSubsetList('\n\n')).toThrow('the list is empty');
  });
});
