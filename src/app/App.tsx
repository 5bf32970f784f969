import { Suspense, lazy } from 'react';
import { AboutView } from './components/AboutView';
import { AugmentationExplorer } from './components/AugmentationExplorer';
import { EmbeddingView } from './components/EmbeddingView';
import { Header } from './components/Header';
import { LiveView } from './components/LiveView';
import { Notices } from './components/Notices';
import { TeacherBanner } from './components/TeacherBanner';
import { PipelinePanels } from './components/PipelinePanels';
import { RunsView } from './components/RunsView';
import { SimilarityView } from './components/SimilarityView';
import { type TabName, useLab } from './store/labStore';

// The Sweeps view (and the echarts it brings) loads when its tab is first opened.
const SweepsView = lazy(() => import('./sweeps/SweepsView').then((m) => ({ default: m.SweepsView })));

const tabs: { name: TabName; label: string }[] = [
  { name: 'live', label: 'Live' },
  { name: 'augmentations', label: 'Augmentations' },
  { name: 'similarity', label: 'Similarity' },
  { name: 'embeddings', label: 'Embeddings' },
  { name: 'runs', label: 'Runs' },
  { name: 'sweeps', label: 'Sweeps' },
  { name: 'about', label: 'About' },
];

export function App() {
  const tab = useLab((s) => s.tab);
  const setTab = useLab((s) => s.setTab);
  const hiddenTabs = useLab((s) => s.teacher?.hiddenTabs);
  const shown = tabs.filter((t) => !hiddenTabs?.includes(t.name));
  return (
    <div className="app">
      <Header />
      <TeacherBanner />
      <Notices />
      <div className="layout">
        <aside className="sidebar">
          <PipelinePanels />
        </aside>
        <main className="main">
          <div className="tabs" role="tablist" aria-label="Views" onKeyDown={(event) => moveBetweenTabs(event, shown, tab, setTab)}>
            {shown.map((t) => (
              <button
                key={t.name}
                type="button"
                role="tab"
                id={`tab-${t.name}`}
                aria-selected={tab === t.name}
                aria-controls={tab === t.name ? `panel-${t.name}` : undefined}
                tabIndex={tab === t.name ? 0 : -1}
                className={tab === t.name ? 'tab active' : 'tab'}
                onClick={() => setTab(t.name)}
              >
                {t.label}
              </button>
            ))}
          </div>
          <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
            {tab === 'live' && <LiveView />}
            {tab === 'augmentations' && <AugmentationExplorer />}
            {tab === 'similarity' && <SimilarityView />}
            {tab === 'embeddings' && <EmbeddingView />}
            {tab === 'runs' && <RunsView />}
            {tab === 'sweeps' && (
              <Suspense fallback={<div className="chart-empty">Loading the Sweeps view…</div>}>
                <SweepsView />
              </Suspense>
            )}
            {tab === 'about' && <AboutView />}
          </section>
        </main>
      </div>
    </div>
  );
}

/**
 * The WAI-ARIA tabs pattern: the tab list is one Tab stop; arrow keys, Home and End move between
 * tabs and select them (automatic activation, since a tab's view appears at once).
 */
function moveBetweenTabs(event: React.KeyboardEvent, shown: { name: TabName }[], current: TabName, select: (tab: TabName) => void): void {
  const index = shown.findIndex((t) => t.name === current);
  const target =
    event.key === 'ArrowRight'
      ? (index + 1) % shown.length
      : event.key === 'ArrowLeft'
        ? (index - 1 + shown.length) % shown.length
        : event.key === 'Home'
          ? 0
          : event.key === 'End'
            ? shown.length - 1
            : -1;
  if (target < 0) return;
  event.preventDefault();
  const name = shown[target].name;
  select(name);
  document.getElementById(`tab-${name}`)?.focus();
}
