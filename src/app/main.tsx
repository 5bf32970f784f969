import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { initLab } from './labController';
import { reattachServerRuns } from './gpuServer/serverRun';
import { useLab } from './store/labStore';
import { initSweeps } from './sweeps/sweepController';
import { initServerSweeps } from './sweeps/serverSweepController';
import './styles.css';

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

initLab()
  .then(() => reattachServerRuns())
  // After the runs are listed (and those a reload cut short marked): an unfinished sweep continues.
  // A server sweep is only listened to, so it reattaches beside that, not after it.
  .then(() => Promise.all([initServerSweeps(), initSweeps()]))
  .catch((error: unknown) => {
    useLab.getState().addNotice('error', `The lab could not start: ${error instanceof Error ? error.message : String(error)}`);
  });
