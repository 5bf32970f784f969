import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher';

describe('createBatcher', () => {
  it('delivers everything pushed before a tick in one batch, and schedules once per batch', () => {
    const ticks: (() => void)[] = [];
    const delivered: number[][] = [];
    const batcher = createBatcher<number>(
      (items) => delivered.push(items),
      (flush) => ticks.push(flush),
    );
    batcher.push(1);
    batcher.push(2);
    batcher.push(3);
    expect(ticks).toHaveLength(1);
    expect(delivered).toEqual([]);
    ticks[0]();
    expect(delivered).toEqual([[1, 2, 3]]);
    batcher.push(4);
    expect(ticks).toHaveLength(2);
    batcher.flush();
    ticks[1]();
    expect(delivered).toEqual([[1, 2, 3], [4]]);
  });
});
