import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { initLab } from './labController';
import { reattachServerRuns } from './gpuServer/serverRun';
import { useLab } from './store/labStore';
import './styles.css';

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

initLab()
  .then(() => reattachServerRuns())
  .catch((error: unknown) => {
    useLab.getState().addNotice('error', `The lab could not start: ${error instanceof Error ? error.message : String(error)}`);
  });
