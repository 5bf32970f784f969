import { create } from 'zustand';
import { ServerApiError } from '../../protocol/serverClient';

/**
 * Where the lab sends runs "on the server": the URL and token typed in Settings (kept in
 * localStorage so a reload remembers them) and the server run now streaming, if any.
 */
export interface ServerSettings {
  url: string;
  token: string;
}

export interface ActiveServerRun {
  /** The server's run id. */
  id: string;
  url: string;
  backend: string;
}

export type ConnectionCheck =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'ok'; backend: string; device: string }
  | { state: 'error'; message: string };

const storageKey = 'simclr-lab.server';

/** The minimal part of `Storage` used here (a Map-backed fake in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function loadServerSettings(storage: KeyValueStorage | null): ServerSettings {
  const empty = { url: '', token: '' };
  if (!storage) return empty;
  try {
    const raw = storage.getItem(storageKey);
    if (!raw) return empty;
    const parsed = JSON.parse(raw) as Partial<ServerSettings>;
    return { url: typeof parsed.url === 'string' ? parsed.url : '', token: typeof parsed.token === 'string' ? parsed.token : '' };
  } catch {
    // Corrupt or inaccessible storage: start with no server rather than failing the page.
    return empty;
  }
}

export function saveServerSettings(storage: KeyValueStorage | null, settings: ServerSettings): void {
  try {
    storage?.setItem(storageKey, JSON.stringify(settings));
  } catch {
    // Private mode or a full quota: the settings still hold for this page's lifetime.
  }
}

/** The server's base URL, or why the text is not one (empty text means "no server"). */
export function normalizeServerUrl(text: string): { ok: true; url: string } | { ok: false; reason: string } {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, reason: 'No server URL set (Settings → server URL).' };
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return { ok: false, reason: `"${trimmed}" is not a URL (expected e.g. http://gpu-box:8787).` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return { ok: false, reason: `The server URL must start with http:// or https:// (got ${parsed.protocol}).` };
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return { ok: true, url: `${parsed.origin}${path}` };
}

/** One sentence naming what went wrong talking to the server, for a notice. `sent`: what a 400 refused. */
export function describeServerError(error: unknown, url: string, sent = 'the settings'): string {
  if (error instanceof ServerApiError) {
    if (error.status === 401) return `Server ${url} refused the token (401): check Settings → token.`;
    if (error.status === 400 && error.issues.length > 0) {
      return `Server ${url} rejected ${sent} (400): ${error.issues.map((i) => `${i.path || '(config)'}: ${i.message}`).join('; ')}`;
    }
    return `Server ${url} answered ${error.status}: ${error.message}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof TypeError) {
    return `Server ${url} is unreachable (${message}): check the URL, that the server runs, and that it allows this page's origin (--origin).`;
  }
  return `Server ${url}: ${message}`;
}

function browserStorage(): KeyValueStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export interface ServerState extends ServerSettings {
  check: ConnectionCheck;
  active: ActiveServerRun | null;
  setSettings(settings: Partial<ServerSettings>): void;
  setCheck(check: ConnectionCheck): void;
  setActive(active: ActiveServerRun | null): void;
}

export const useServer = create<ServerState>()((set, get) => ({
  ...loadServerSettings(browserStorage()),
  check: { state: 'idle' },
  active: null,
  setSettings(settings) {
    const next = { url: settings.url ?? get().url, token: settings.token ?? get().token };
    saveServerSettings(browserStorage(), next);
    set({ ...next, check: { state: 'idle' } });
  },
  setCheck(check) {
    set({ check });
  },
  setActive(active) {
    set({ active });
  },
}));

/** True when Settings holds a usable server URL (the "Run on server" button shows then). */
export function selectServerConfigured(state: ServerState): boolean {
  return normalizeServerUrl(state.url).ok;
}
