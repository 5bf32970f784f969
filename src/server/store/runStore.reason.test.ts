import { afterAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../core/config';
import { SqliteRunStore } from './runStore';
import { tempDir } from '../testSupport';

const dir = tempDir('simclr-store-reason-');
const store = new SqliteRunStore(dir.path);
afterAll(() => {
  store.close();
  dir.remove();
});

describe('a run reason', () => {
  it('describes the current status: a later status without a reason clears it', () => {
    const { id } = store.createRun(parseRunConfig({}));
    store.setStatus(id, 'running', { worker: 'local' });
    store.setStatus(id, 'queued', { reason: 'the server stopped while it was running; will resume from its last checkpoint' });
    expect(store.getRun(id)!.reason).toMatch(/will resume/);
    store.setStatus(id, 'running', { reason: 'resumed from its last checkpoint' });
    expect(store.getRun(id)!.reason).toBe('resumed from its last checkpoint');
    store.setStatus(id, 'succeeded');
    expect(store.getRun(id)).toMatchObject({ status: 'succeeded', reason: null, attempts: 2 });
  });
});
