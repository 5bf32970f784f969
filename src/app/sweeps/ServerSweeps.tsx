import { selectServerConfigured, useServer } from '../gpuServer/serverSettings';
import type { SweepSpec } from '../../sweep/spec';
import { openServerSweep, refreshServerSweeps, submitServerSweep } from './serverSweepController';
import { useServerSweeps } from './serverSweepStore';
import { useSweeps } from './sweepStore';

/** "Run sweep on server" beside Run sweep, once Settings has a server; why a send failed shows under it. */
export function RunOnServerButton({ spec }: { spec: SweepSpec | null }) {
  const configured = useServer(selectServerConfigured);
  const submitting = useServerSweeps((s) => s.submitting);
  const error = useServerSweeps((s) => s.submitError);
  if (!configured) return null;
  return (
    <>
      <button type="button" disabled={!spec || submitting} onClick={() => spec && void submitServerSweep(spec)}>
        {submitting ? 'Sending…' : 'Run sweep on server'}
      </button>
      {error && (
        <p className="field-error" role="alert" data-testid="server-sweep-error">
          {error}
        </p>
      )}
    </>
  );
}

/** The server sweeps this browser sent or opened, and those the configured server lists. */
export function ServerSweepList() {
  const list = useServerSweeps((s) => s.list);
  const configured = useServer(selectServerConfigured);
  const shown = useSweeps((s) => (s.shown?.source === 'server' ? s.shown.server : undefined));
  if (list.length === 0 && !configured) return null;
  return (
    <section className="saved-sweeps server-sweeps" aria-labelledby="server-sweeps-title" data-testid="server-sweeps">
      <h2 id="server-sweeps-title">Sweeps on the server</h2>
      {list.length === 0 ? (
        <p className="field-help">None yet: “Run sweep on server” sends the sweep built here.</p>
      ) : (
        <ul>
          {list.map((s) => (
            <li
              key={`${s.url} ${s.id}`}
              data-server-sweep-id={s.id}
              data-status={s.status}
              className={shown?.url === s.url && shown.id === s.id ? 'current' : ''}
            >
              <button type="button" className="link-like" onClick={() => void openServerSweep(s.url, s.id)}>
                {s.name}
              </button>{' '}
              <span className="field-help">
                {new Date(s.createdAt).toLocaleString()} · {s.finished}/{s.planned} · {s.status} · {new URL(s.url).host}
              </span>
            </li>
          ))}
        </ul>
      )}
      {configured && (
        <button type="button" onClick={() => void refreshServerSweeps()}>
          Refresh
        </button>
      )}
    </section>
  );
}
