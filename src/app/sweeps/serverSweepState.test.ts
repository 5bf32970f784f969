import { describe, expect, it } from 'vitest';
import type { StoredSweepEvent, SweepEvent, SweepRecord, SweepTrial } from '../../protocol/serverClient';
import { decodeSweepHash, sweepToHash } from '../../sweep/shareLink';
import { parseSweepSpec } from '../../sweep/spec';
import { MAX_REMEMBERED_SERVER_SWEEPS, loadServerSweeps, rememberServerSweep } from './serverSweepMemory';
import {
  type ServerSweepState,
  applyServerSweepEvents,
  emptyServerSweep,
  mergeServerSweeps,
  serverSweepOfRecord,
  shownOfServerSweep,
  summaryOfListItem,
  summaryOfServerSweep,
} from './serverSweepState';
import { sharedOf } from './sweepRecord';

const url = 'http://gpu:8787';
const spec = parseSweepSpec({
  name: 'temps',
  base: { dataset: { name: 'shapes', trainSize: 64 }, finetune: { enabled: false }, distill: { enabled: false } },
  parameters: { 'pretrain.temperature': { values: [0.2, 0.5, 1] } },
  objective: { metric: 'pretrain.knnAccuracy', goal: 'maximize' },
  earlyStopping: { type: 'asha', metric: 'pretrain.knnAccuracy', minEpochs: 1, reductionFactor: 3 },
});

const params = (t: number) => ({ 'pretrain.temperature': t });

/** A finished trial as the server's events and record carry it (with its run id). */
function finishedTrial(id: string, index: number, objective: number | null, curve: [number, number][]): SweepTrial {
  return {
    id,
    index,
    runId: `r${index}`,
    params: params([0.2, 0.5, 1][index]),
    status: objective === null ? 'stopped' : 'completed',
    objective,
    seconds: 3 + index,
    reuseKey: null,
    curve,
    ...(objective === null ? { stoppedAt: 1, reason: 'ASHA: below the rung cut-off' } : {}),
  };
}

function stream(events: SweepEvent[]): StoredSweepEvent[] {
  return events.map((event, i) => ({ id: i + 1, event }));
}

const t1 = finishedTrial('t001', 0, 0.41, [
  [1, 0.3],
  [2, 0.41],
]);
const t2 = finishedTrial('t002', 1, null, [[1, 0.1]]);

/** What the server logs for a sweep of three trials: two finished, the third training. */
const events = stream([
  { type: 'sweep-status', time: 1, status: 'running' },
  { type: 'trial-start', time: 2, trial: { id: 't001', index: 0, runId: 'r0', params: params(0.2), status: 'queued', objective: null } },
  { type: 'trial-status', time: 3, trialId: 't001', runId: 'r0', status: 'running' },
  { type: 'trial-metric', time: 4, trialId: 't001', epoch: 1, value: 0.3 },
  { type: 'trial-metric', time: 5, trialId: 't001', epoch: 2, value: 0.41 },
  { type: 'trial-end', time: 6, trial: t1, best: { id: 't001', runId: 'r0', params: params(0.2), objective: 0.41 } },
  { type: 'trial-start', time: 7, trial: { id: 't002', index: 1, runId: 'r1', params: params(0.5), status: 'queued', objective: null } },
  { type: 'trial-metric', time: 8, trialId: 't002', epoch: 1, value: 0.1 },
  { type: 'trial-end', time: 9, trial: t2, best: { id: 't001', runId: 'r0', params: params(0.2), objective: 0.41 } },
  { type: 'trial-start', time: 10, trial: { id: 't003', index: 2, runId: 'r2', params: params(1), status: 'queued', objective: null } },
  { type: 'trial-metric', time: 11, trialId: 't003', epoch: 1, value: 0.35 },
]);

function record(overrides: Partial<SweepRecord> = {}): SweepRecord {
  return {
    id: 'sw1',
    name: 'temps',
    spec: spec as unknown as SweepRecord['spec'],
    status: 'running',
    reason: null,
    reuse: 'on',
    createdAt: '2024-05-01T10:00:00.000Z',
    updatedAt: '2024-05-01T10:01:00.000Z',
    finishedAt: null,
    planned: 3,
    counts: { completed: 1, stopped: 1, failed: 0, running: 1, queued: 0 },
    trials: [t1, t2, { id: 't003', index: 2, runId: 'r2', params: params(1), status: 'running', objective: null }],
    best: { id: 't001', runId: 'r0', params: params(0.2), objective: 0.41 },
    eventCount: events.length,
    ...overrides,
  };
}

describe('a server sweep in the Sweeps views', () => {
  it('folds the event stream into finished rows, trials in progress with their live curves, run ids and the best', () => {
    const state = applyServerSweepEvents(emptyServerSweep(url, 'sw1', spec, 0), events);
    expect(state.trials.map((t) => [t.id, t.status, t.objective])).toEqual([
      ['t001', 'completed', 0.41],
      ['t002', 'stopped', null],
    ]);
    expect(state.trials[1]).toMatchObject({ stoppedAt: 1, reason: 'ASHA: below the rung cut-off', seconds: 4, curve: [[1, 0.1]] });
    expect(state.running).toEqual([{ id: 't003', index: 2, params: params(1) }]);
    // Only the trial in progress has a live curve: finished ones carry theirs in the row.
    expect(state.curves).toEqual({ t003: [[1, 0.35]] });
    expect(state.runIds).toEqual({ t001: 'r0', t002: 'r1', t003: 'r2' });
    expect(state.best).toEqual({ id: 't001', params: params(0.2), objective: 0.41 });
    expect(state.lastEventId).toBe(events.length);
  });

  it('agrees with the record at the same event: what a reload reattaches from is what the stream built', () => {
    const folded = applyServerSweepEvents(emptyServerSweep(url, 'sw1', spec, Date.parse('2024-05-01T10:00:00.000Z')), events);
    const fromRecord = serverSweepOfRecord(url, record(), spec);
    expect(fromRecord.trials).toEqual(folded.trials);
    expect(fromRecord.running).toEqual(folded.running);
    expect(fromRecord.runIds).toEqual(folded.runIds);
    expect(fromRecord.best).toEqual(folded.best);
    expect(fromRecord.lastEventId).toBe(folded.lastEventId);
  });

  it('skips events it has folded already (a replay after a reconnect) and leaves its input unchanged', () => {
    const half = applyServerSweepEvents(emptyServerSweep(url, 'sw1', spec, 0), events.slice(0, 5));
    const before = structuredClone(half);
    const resumed = applyServerSweepEvents(half, events.slice(3));
    expect(half).toEqual(before);
    expect(resumed).toEqual(applyServerSweepEvents(emptyServerSweep(url, 'sw1', spec, 0), events));
    // The metric events 4 and 5 came twice: the curve still has each epoch once.
    expect(resumed.trials[0].curve).toEqual([
      [1, 0.3],
      [2, 0.41],
    ]);
  });

  it('ends with the final status; a trial that finished without starting (invalid config) still gets its row', () => {
    const invalid: SweepTrial = {
      id: 't003',
      index: 2,
      runId: null,
      params: params(1),
      status: 'failed',
      objective: null,
      seconds: 0,
      error: 'invalid config',
      reason: 'failed: invalid config',
    };
    const state = applyServerSweepEvents(
      emptyServerSweep(url, 'sw1', spec, 0),
      stream([
        ...events.slice(0, 9).map((e) => e.event),
        { type: 'trial-end', time: 12, trial: invalid, best: { id: 't001', runId: 'r0', params: params(0.2), objective: 0.41 } },
        { type: 'sweep-status', time: 13, status: 'completed' },
      ]),
    );
    expect(state.status).toBe('completed');
    expect(state.trials.map((t) => t.status)).toEqual(['completed', 'stopped', 'failed']);
    expect(state.runIds.t003).toBeUndefined();
    const shown = shownOfServerSweep(state);
    expect(shown).toMatchObject({ source: 'server', id: 'sw1', status: 'completed', running: [], server: { url, id: 'sw1' } });
  });

  it('shows the trials a cancel has not reached yet as stopped, with the sweep’s reason', () => {
    const state = serverSweepOfRecord(url, record({ status: 'cancelled', reason: 'cancelled by request' }), spec);
    expect(state.running).toEqual([]);
    expect(state.trials[2]).toMatchObject({ id: 't003', status: 'stopped', reason: 'the sweep cancelled: cancelled by request' });
    expect(shownOfServerSweep(state).liveCurves).toEqual({});
  });

  it('while running, the view gets the trials in progress and their curves', () => {
    const shown = shownOfServerSweep(applyServerSweepEvents(emptyServerSweep(url, 'sw1', spec, 0), events));
    expect(shown.running.map((r) => r.id)).toEqual(['t003']);
    expect(shown.liveCurves).toEqual({ t003: [[1, 0.35]] });
    expect(shown.runIds.t001).toBe('r0');
  });

  it('shares a finished server sweep as a #sweep= link that opens to the same trials', () => {
    const state = serverSweepOfRecord(url, record({ status: 'completed', trials: [t1, t2] }), spec);
    const decoded = decodeSweepHash(sweepToHash(sharedOf(state)));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.sweep.spec).toEqual(spec);
    expect(decoded.sweep.trials.map((t) => [t.id, t.status, t.objective, t.stoppedAt])).toEqual([
      ['t001', 'completed', 0.41, undefined],
      ['t002', 'stopped', null, 1],
    ]);
  });
});

describe('the list of server sweeps', () => {
  const item = (id: string, createdAt: string, status: 'running' | 'completed', completed: number) =>
    summaryOfListItem(url, {
      id,
      name: id,
      status,
      method: 'grid',
      objective: { metric: 'pretrain.knnAccuracy', goal: 'maximize' },
      createdAt,
      finishedAt: null,
      planned: 3,
      counts: { completed, stopped: 0, failed: 1, running: 0, queued: 0 },
      best: null,
    });

  it('merges remembered and listed sweeps, one line each (the one further along), newest first', () => {
    const followed = summaryOfServerSweep(applyServerSweepEvents(emptyServerSweep(url, 'a', spec, Date.parse('2024-05-02')), events));
    expect(followed).toMatchObject({ id: 'a', finished: 2, planned: 3, status: 'running' });
    const elsewhere = { ...followed, url: 'http://other:8787' };
    const merged = mergeServerSweeps(
      [followed, elsewhere],
      [item('a', '2024-05-02T00:00:00.000Z', 'running', 0), item('b', '2024-05-03T00:00:00.000Z', 'completed', 2)],
    );
    expect(merged.map((s) => [s.url, s.id, s.finished])).toEqual([
      [url, 'b', 3],
      [url, 'a', 2],
      ['http://other:8787', 'a', 2],
    ]);
    // Once the server lists it finished, that line wins over a remembered running one.
    const done = mergeServerSweeps([followed], [item('a', '2024-05-02T00:00:00.000Z', 'completed', 0)]);
    expect(done[0].status).toBe('completed');
  });

  it('remembers states in storage (one entry per sweep, the newest kept) and survives a corrupt entry', () => {
    const map = new Map<string, string>();
    const storage = { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v) };
    const state = (id: string, createdAt: number): ServerSweepState => emptyServerSweep(url, id, spec, createdAt);
    rememberServerSweep(storage, state('x', 1));
    const progressed = applyServerSweepEvents(state('x', 1), events);
    rememberServerSweep(storage, progressed);
    expect(loadServerSweeps(storage)).toEqual([progressed]);
    for (let i = 0; i < MAX_REMEMBERED_SERVER_SWEEPS + 3; i++) rememberServerSweep(storage, state(`s${i}`, 10 + i));
    const kept = loadServerSweeps(storage);
    expect(kept).toHaveLength(MAX_REMEMBERED_SERVER_SWEEPS);
    expect(kept[0].id).toBe(`s${MAX_REMEMBERED_SERVER_SWEEPS + 2}`);
    expect(kept.some((s) => s.id === 'x')).toBe(false);
    map.set('simclr-lab.serverSweeps', '{broken');
    expect(loadServerSweeps(storage)).toEqual([]);
    map.set('simclr-lab.serverSweeps', JSON.stringify([{ id: 'no url' }, progressed]));
    expect(loadServerSweeps(storage)).toEqual([progressed]);
  });
});
