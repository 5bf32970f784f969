import { afterEach, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../core/config';
import { SqliteRunStore, TransitionError } from './runStore';
import type { StoredEvent } from '../../protocol/serverApi';
import { tempDirs } from '../testSupport';

const temps = tempDirs();
/** A store in a new folder, or reopened from `path`; every folder is removed after the test. */
function openStore(path?: string): { store: SqliteRunStore; path: string } {
  const dir = path ?? temps.make('simclr-store-');
  return { store: new SqliteRunStore(dir), path: dir };
}

afterEach(() => temps.removeAll());

describe('SqliteRunStore', () => {
  it('numbers each run’s events 1, 2, 3 … and tells listeners only after the commit', () => {
    const { store } = openStore();
    const a = store.createRun(parseRunConfig({ seed: 1 }));
    const b = store.createRun(parseRunConfig({ seed: 2 }));
    const heard: [string, StoredEvent][] = [];
    store.events.on('event', (id: string, stored: StoredEvent) => {
      // Already readable from the database when heard.
      expect(store.eventsAfter(id, stored.id - 1)[0]).toEqual(stored);
      heard.push([id, stored]);
    });
    store.setStatus(a.id, 'running', { worker: 'local' });
    store.appendEvent(a.id, { type: 'log', time: 1, level: 'info', message: 'hello' });
    store.appendEvent(b.id, { type: 'log', time: 2, level: 'info', message: 'other' });
    expect(store.eventsAfter(a.id, 0).map((e) => [e.id, e.event.type])).toEqual([
      [1, 'status'],
      [2, 'status'],
      [3, 'log'],
    ]);
    expect(store.eventsAfter(b.id, 0).map((e) => e.id)).toEqual([1, 2]);
    expect(heard.map(([id, e]) => [id === a.id ? 'a' : 'b', e.id])).toEqual([
      ['a', 2],
      ['a', 3],
      ['b', 2],
    ]);
    expect(store.getRun(a.id)).toMatchObject({ status: 'running', attempts: 1, worker: 'local', eventCount: 3 });
    store.close();
  });

  it('refuses impossible transitions and leaves no trace of them', () => {
    const { store } = openStore();
    const run = store.createRun(parseRunConfig({}));
    store.setStatus(run.id, 'cancelled');
    expect(() => store.setStatus(run.id, 'running')).toThrow(TransitionError);
    expect(() => store.setStatus(run.id, 'running')).toThrow(/is cancelled; it cannot become running/);
    expect(store.getRun(run.id)!.eventCount).toBe(2);
    store.close();
  });

  it('keeps checkpoint positions in events (weights in the checkpoint file), and everything across a reopen', () => {
    const { store, path } = openStore();
    const run = store.createRun(parseRunConfig({}));
    store.setStatus(run.id, 'running');
    store.appendEvent(run.id, { type: 'checkpoint', time: 5, stage: 'pretrain', step: 4, epoch: 1 });
    store.saveCheckpointBytes(run.id, new Uint8Array([1, 2, 3]));
    store.close();
    const reopened = openStore(path).store;
    const again = reopened.getRun(run.id)!;
    expect(again).toMatchObject({ status: 'running', checkpoint: { stage: 'pretrain', step: 4, epoch: 1 }, eventCount: 3 });
    expect(reopened.eventsAfter(run.id, 2)[0].event).toEqual({
      type: 'checkpoint',
      time: 5,
      stage: 'pretrain',
      step: 4,
      epoch: 1,
      attempt: 1,
    });
    expect([...reopened.readCheckpointBytes(run.id)!]).toEqual([1, 2, 3]);
    reopened.close();
  });

  it('numbers attempts on every event and marks a resume from the checkpoint', () => {
    const { store } = openStore();
    const run = store.createRun(parseRunConfig({}));
    store.setStatus(run.id, 'running');
    store.appendEvent(run.id, { type: 'metric', time: 1, stage: 'pretrain', step: 1, epoch: 0.5 });
    store.appendEvent(run.id, { type: 'checkpoint', time: 2, stage: 'pretrain', step: 2, epoch: 1 });
    store.appendEvent(run.id, { type: 'metric', time: 3, stage: 'pretrain', step: 3, epoch: 1.5 });
    // The server died; the run goes back to the queue and starts again.
    store.setStatus(run.id, 'queued', { reason: 'the server stopped while it was running' });
    store.setStatus(run.id, 'running');
    const events = store.eventsAfter(run.id, 0).map((e) => e.event);
    expect(events.map((e) => [e.type, e.attempt])).toEqual([
      ['status', 0],
      ['status', 1],
      ['metric', 1],
      ['checkpoint', 1],
      ['metric', 1],
      ['status', 1],
      ['status', 2],
      ['resumed', 2],
    ]);
    expect(events[7]).toMatchObject({ type: 'resumed', stage: 'pretrain', step: 2, epoch: 1 });
    // A first start, or a restart without a checkpoint, is not a resume.
    const fresh = store.createRun(parseRunConfig({}));
    store.setStatus(fresh.id, 'running');
    store.setStatus(fresh.id, 'queued');
    store.setStatus(fresh.id, 'running');
    expect(store.eventsAfter(fresh.id, 0).some((e) => e.event.type === 'resumed')).toBe(false);
    store.close();
  });
});
