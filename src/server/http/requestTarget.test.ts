import { describe, expect, it } from 'vitest';
import { requestTargetProblem } from './requestTarget';

describe('requestTargetProblem', () => {
  it('accepts origin-form paths, queries and equivalent percent-encodings', () => {
    for (const target of [
      '/api/runs',
      '/api/runs?status=running&x=/../',
      '/%61pi/runs',
      '/api/runs/r1%20x',
      '/api/runs/',
      '/',
      '/api/runs/a.b',
      '/api/runs/...',
    ]) {
      expect(requestTargetProblem(target), target).toBeNull();
    }
  });

  it('refuses absolute-form and asterisk-form targets', () => {
    for (const target of ['http://127.0.0.1/api/runs', 'HTTP://x/api', '*', 'api/runs', ''])
      expect(requestTargetProblem(target), target).toMatch(/origin-form/);
  });

  it('refuses dot segments, raw or encoded', () => {
    for (const target of ['/x/../api/runs', '/./api/runs', '/api/runs/..', '/api/%2e%2e/runs', '/api/%2E/runs', '/api/.%2e/runs']) {
      expect(requestTargetProblem(target), target).toMatch(/"\." or "\.\." segments/);
    }
  });

  it('refuses doubled, encoded and back slashes, fragments, NUL and bad escapes', () => {
    expect(requestTargetProblem('//api/runs')).toMatch(/doubled slashes/);
    expect(requestTargetProblem('/api//runs')).toMatch(/doubled slashes/);
    expect(requestTargetProblem('/api/runs/a%2Fb')).toMatch(/encoded slashes/);
    expect(requestTargetProblem('/api/runs/a%5cb')).toMatch(/encoded slashes/);
    expect(requestTargetProblem('/api\\runs')).toMatch(/backslashes/);
    expect(requestTargetProblem('/api/runs#x')).toMatch(/fragment/);
    expect(requestTargetProblem('/api/runs/%00')).toMatch(/NUL/);
    expect(requestTargetProblem('/api/runs/%zz')).toMatch(/percent-encoding/);
    expect(requestTargetProblem('/api/runs/%E0%A4%A')).toMatch(/percent-encoding/);
  });
});
