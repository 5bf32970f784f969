import { describe, expect, it } from 'vitest';
import { SseParser } from './sseParser';

describe('SSE parser', () => {
  it('parses ids, multi-line data, event names and comments, whatever the chunking', () => {
    const wire = 'retry: 2000\n\n: keep-alive\n\nid: 1\ndata: {"a":1}\n\nid: 2\nevent: status\ndata: line one\ndata: line two\n\r\nid: 3\r\ndata:no-space\r\n\r\n';
    const whole = new SseParser().push(wire);
    expect(whole).toEqual([
      { lastEventId: '1', event: 'message', data: '{"a":1}' },
      { lastEventId: '2', event: 'status', data: 'line one\nline two' },
      { lastEventId: '3', event: 'message', data: 'no-space' },
    ]);
    for (const size of [1, 2, 3, 7]) {
      const parser = new SseParser();
      const messages = [];
      for (let i = 0; i < wire.length; i += size) messages.push(...parser.push(wire.slice(i, i + size)));
      expect(messages, `chunks of ${size}`).toEqual(whole);
      expect(parser.retry).toBe(2000);
    }
  });

  it('keeps the last id for messages without one and ignores an id containing NUL', () => {
    const messages = new SseParser().push('id: 7\ndata: a\n\ndata: b\n\nid: x\u0000y\ndata: c\n\n');
    expect(messages.map((m) => m.lastEventId)).toEqual(['7', '7', '7']);
  });
});
