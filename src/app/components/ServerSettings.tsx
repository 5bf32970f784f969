import { useState } from 'react';
import { useLab } from '../store/labStore';
import { cancelServerRun, runOnServer, testConnection } from '../gpuServer/serverRun';
import { selectServerConfigured, useServer } from '../gpuServer/serverSettings';

/** Header button opening the Settings panel (server URL + token, connection test). */
export function ServerSettings() {
  const [open, setOpen] = useState(false);
  return (
    <div className="server-settings">
      <button type="button" aria-expanded={open} aria-controls="server-settings-panel" onClick={() => setOpen(!open)}>
        Settings
      </button>
      {open && <ServerSettingsPanel onClose={() => setOpen(false)} />}
    </div>
  );
}

function ServerSettingsPanel({ onClose }: { onClose: () => void }) {
  const url = useServer((s) => s.url);
  const token = useServer((s) => s.token);
  const check = useServer((s) => s.check);
  const setSettings = useServer((s) => s.setSettings);
  return (
    <section id="server-settings-panel" className="server-settings-panel" role="dialog" aria-label="Settings" data-testid="server-settings">
      <h2>GPU server</h2>
      <p className="hint">Runs go to this server instead of the browser when you press “Run on server”.</p>
      <label>
        Server URL
        <input
          name="server.url"
          type="url"
          placeholder="http://gpu-box:8787"
          value={url}
          onChange={(e) => setSettings({ url: e.target.value })}
        />
      </label>
      <label>
        Token
        <input
          name="server.token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setSettings({ token: e.target.value })}
        />
      </label>
      <div className="server-settings-actions">
        <button type="button" disabled={check.state === 'checking'} onClick={() => void testConnection()}>
          Test connection
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="server-check" role="status" data-testid="server-check" data-state={check.state}>
        {check.state === 'checking' && 'Connecting…'}
        {check.state === 'ok' && `Connected · backend ${check.backend} · ${check.device}`}
        {check.state === 'error' && check.message}
      </p>
    </section>
  );
}

/** "Run on server" next to Start, shown once a server is configured; Stop cancels it while it runs. */
export function ServerRunButton() {
  const configured = useServer(selectServerConfigured);
  const active = useServer((s) => s.active);
  const busy = useLab((s) => s.live.controller !== 'idle' || s.live.status === 'starting');
  if (!configured && !active) return null;
  return (
    <button type="button" disabled={busy || active !== null} onClick={() => void runOnServer()}>
      Run on server
    </button>
  );
}

export function ServerRunBadge() {
  const active = useServer((s) => s.active);
  // The run's own run-start event names the backend it got; health may still say "probing…".
  const runBackend = useLab((s) => s.live.backend);
  if (!active) return null;
  return (
    <span className="server-run-badge" role="note" data-testid="server-run-badge">
      running on server {active.url} · backend {runBackend ?? active.backend}
    </span>
  );
}

/** While a server run is active, Stop means "cancel it on the server". */
export function useServerStop(): (() => void) | null {
  const active = useServer((s) => s.active);
  return active ? () => void cancelServerRun() : null;
}
