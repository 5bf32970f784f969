import { describe, expect, it } from 'vitest';
import { ServerApiError } from '../../protocol/serverClient';
import { describeServerError, loadServerSettings, normalizeServerUrl, saveServerSettings } from './serverSettings';

function memoryStorage() {
  const map = new Map<string, string>();
  return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), map };
}

describe('server settings', () => {
  it('round-trips URL and token through storage, and survives corrupt or missing entries', () => {
    const storage = memoryStorage();
    expect(loadServerSettings(storage)).toEqual({ url: '', token: '' });
    saveServerSettings(storage, { url: 'http://gpu:8787', token: 'T' });
    expect(loadServerSettings(storage)).toEqual({ url: 'http://gpu:8787', token: 'T' });
    storage.map.set('simclr-lab.server', '{not json');
    expect(loadServerSettings(storage)).toEqual({ url: '', token: '' });
    storage.map.set('simclr-lab.server', JSON.stringify({ url: 5, token: 'x' }));
    expect(loadServerSettings(storage)).toEqual({ url: '', token: 'x' });
    expect(loadServerSettings(null)).toEqual({ url: '', token: '' });
  });

  it('normalizes server URLs and names what is wrong with bad ones', () => {
    expect(normalizeServerUrl(' http://gpu:8787/ ')).toEqual({ ok: true, url: 'http://gpu:8787' });
    expect(normalizeServerUrl('https://lab.example/simclr/api/')).toEqual({ ok: true, url: 'https://lab.example/simclr' });
    const empty = normalizeServerUrl('  ');
    expect(empty.ok).toBe(false);
    const notUrl = normalizeServerUrl('gpu box');
    expect(!notUrl.ok && notUrl.reason).toMatch(/not a URL/);
    const ftp = normalizeServerUrl('ftp://gpu');
    expect(!ftp.ok && ftp.reason).toMatch(/http:\/\/ or https:\/\//);
  });

  it('describes 401, 400 with issues, other statuses and unreachable servers', () => {
    const url = 'http://gpu:8787';
    expect(describeServerError(new ServerApiError(401, 'unauthorized'), url)).toMatch(/refused the token \(401\)/);
    const invalid = new ServerApiError(400, 'invalid config', [{ path: 'pretrain.temperature', message: 'must be positive' }]);
    expect(describeServerError(invalid, url)).toBe(
      'Server http://gpu:8787 rejected the settings (400): pretrain.temperature: must be positive',
    );
    const badSweep = new ServerApiError(400, 'invalid sweep spec', [{ path: 'base.dataset.path', message: 'not under a data root' }]);
    expect(describeServerError(badSweep, url, 'the sweep spec')).toBe(
      'Server http://gpu:8787 rejected the sweep spec (400): base.dataset.path: not under a data root',
    );
    expect(describeServerError(new ServerApiError(404, 'no such run'), url)).toBe('Server http://gpu:8787 answered 404: no such run');
    expect(describeServerError(new TypeError('Failed to fetch'), url)).toMatch(/unreachable \(Failed to fetch\)/);
    expect(describeServerError(new Error('boom'), url)).toBe('Server http://gpu:8787: boom');
  });
});
