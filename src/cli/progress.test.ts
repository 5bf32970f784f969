import { describe, expect, it } from 'vitest';
import { formatDuration } from './progress';

describe('formatDuration (sweep progress lines)', () => {
  it('rounds before splitting, so no field reads 60', () => {
    expect(formatDuration(479.6)).toBe('8m00s');
    expect(formatDuration(59.7)).toBe('1m00s');
    expect(formatDuration(3599.8)).toBe('1h00m');
    expect(formatDuration(7170)).toBe('2h00m');
  });

  it('writes seconds, minutes and hours compactly, and "-" when unknown', () => {
    expect(formatDuration(42.2)).toBe('42s');
    expect(formatDuration(425)).toBe('7m05s');
    expect(formatDuration(4020)).toBe('1h07m');
    expect(formatDuration(null)).toBe('-');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('-');
  });
});
