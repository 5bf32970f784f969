import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './tempDir';

describe('tempDirs', () => {
  it('removes every folder it made, contents and all, and forgets them', () => {
    const temps = tempDirs();
    const a = temps.make('simclr-tempdirs-a-');
    const b = temps.make('simclr-tempdirs-b-');
    expect(a).not.toBe(b);
    mkdirSync(join(a, 'sub'));
    writeFileSync(join(a, 'sub', 'f.txt'), 'x');
    temps.removeAll();
    expect([existsSync(a), existsSync(b)]).toEqual([false, false]);
    const c = temps.make('simclr-tempdirs-c-');
    temps.removeAll();
    // A second removeAll only touches what was made since the first.
    expect(existsSync(c)).toBe(false);
  });
});
