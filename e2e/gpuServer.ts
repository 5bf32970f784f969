import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../src/node/freePort';
import { tempDir } from '../src/testing/tempDir';

/**
 * A real GPU server process for e2e specs (wasm in Node here), with a token and the preview page as
 * its allowed origin, on a free port with a fresh store; `stop` ends it and its run processes.
 */
export interface E2eServer {
  baseUrl: string;
  token: string;
  stop(): void;
}

async function waitForHealth(server: ChildProcess, baseUrl: string, token: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`The server exited with code ${server.exitCode}`);
    try {
      const response = await fetch(`${baseUrl}/api/health`, { headers: { authorization: `Bearer ${token}` } });
      if (response.ok) return;
      lastError = `${response.status}`;
    } catch (error) {
      lastError = String(error);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`The server did not answer /api/health within ${timeoutMs} ms (${lastError})`);
}

export async function startE2eServer(token: string, timeoutMs = 90_000): Promise<E2eServer> {
  const port = await freePort();
  const store = tempDir('simclr-e2e-server-');
  const baseUrl = `http://127.0.0.1:${port}`;
  const args = ['tsx', 'src/server/main.ts', '--port', String(port), '--host', '127.0.0.1', '--store', store.path, '--token', token];
  const origin = `http://127.0.0.1:${process.env.E2E_PORT ?? 4173}`;
  const server = spawn('npx', [...args, '--origin', origin], {
    stdio: ['ignore', 'inherit', 'inherit'],
    // Own process group, so stop() ends npx, tsx and the server's run processes together.
    detached: true,
  });
  const stop = () => {
    if (server.pid && server.exitCode === null) {
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    store.remove();
  };
  try {
    await waitForHealth(server, baseUrl, token, timeoutMs);
  } catch (error) {
    stop();
    throw error;
  }
  return { baseUrl, token, stop };
}
