/**
 * Collects items and hands them over in one batch per scheduled tick (requestAnimationFrame in the
 * page, a short timer in the worker), so a burst of events costs one render / one message.
 */
export function createBatcher<T>(
  deliver: (items: T[]) => void,
  schedule: (flush: () => void) => void,
): {
  push(item: T): void;
  flush(): void;
} {
  let pending: T[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const items = pending;
    pending = [];
    deliver(items);
  };
  return {
    push(item: T) {
      pending.push(item);
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}
