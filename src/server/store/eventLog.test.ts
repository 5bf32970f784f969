import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from './eventLog';

type Event = { type: string };

function openLog(): { db: Database.Database; log: EventLog<Event>; heard: [string, number, number][] } {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE things_events (thing_id TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (thing_id, id))');
  const log = new EventLog<Event>(db, 'things_events', 'thing_id');
  const heard: [string, number, number][] = [];
  // What a listener sees in the table when it hears: the stored row count proves the commit came first.
  log.emitter.on('event', (owner: string, stored: { id: number }) => {
    heard.push([owner, stored.id, log.rowsAfter(owner, 0, 100).length]);
  });
  return { db, log, heard };
}

const opened: Database.Database[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

describe('EventLog', () => {
  it('stores events per owner, pages them by id and tells listeners once the rows are there', () => {
    const { db, log, heard } = openLog();
    opened.push(db);
    log.commit(() => {
      log.insert('a', 1, { type: 'x' });
      log.insert('a', 2, { type: 'y' });
      log.insert('b', 1, { type: 'z' });
      expect(heard).toEqual([]);
    });
    expect(heard).toEqual([
      ['a', 1, 2],
      ['a', 2, 2],
      ['b', 1, 1],
    ]);
    expect(log.eventsAfter('a', 1, 10)).toEqual([{ id: 2, event: { type: 'y' } }]);
    expect(log.rowsAfter('a', 0, 1)).toEqual([{ id: 1, data: '{"type":"x"}' }]);
  });

  it('never tells of the events of a transaction that rolled back', () => {
    const { db, log, heard } = openLog();
    opened.push(db);
    expect(() =>
      log.commit(() => {
        log.insert('a', 1, { type: 'x' });
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(log.rowsAfter('a', 0, 10)).toEqual([]);
    log.commit(() => log.insert('a', 1, { type: 'y' }));
    expect(heard).toEqual([['a', 1, 1]]);
  });

  it('settles a write committed elsewhere: its events are heard after it, or dropped when it throws', () => {
    const { db, log, heard } = openLog();
    opened.push(db);
    expect(() =>
      log.settle(() =>
        db.transaction(() => {
          log.insert('a', 1, { type: 'x' });
          throw new Error('abort');
        })(),
      ),
    ).toThrow('abort');
    const result = log.settle(() => db.transaction(() => log.insert('a', 1, { type: 'y' }))());
    expect(result).toEqual({ id: 1, event: { type: 'y' } });
    expect(heard).toEqual([['a', 1, 1]]);
  });
});
