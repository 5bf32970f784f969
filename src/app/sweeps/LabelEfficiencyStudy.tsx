import { useMemo } from 'react';
import { ConfigError } from '../../core';
import { LabelEfficiencyChart } from '../charts/LabelEfficiencyChart';
import { labelEfficiencyRows } from '../store/labelEfficiency';
import { useLab } from '../store/labStore';
import { STUDY_LABEL_FRACTIONS, labelEfficiencyStudySpec, sweepsLabelFraction } from './labelEfficiencySpec';
import { startSweep } from './sweepController';
import { type ShownSweep, useSweeps } from './sweepStore';

const fractionsText = STUDY_LABEL_FRACTIONS.map((f) => `${f * 100}%`).join(', ');

/** Starts the study from the current settings (see labelEfficiencySpec.ts). */
export async function startLabelEfficiencyStudy(): Promise<void> {
  const lab = useLab.getState();
  try {
    await startSweep(labelEfficiencyStudySpec(lab.config));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    lab.addNotice('error', `The label-efficiency study cannot start from these settings: ${error.message}`);
  }
}

/** The study's button, in the Sweeps tab and beside the label-efficiency chart in Live. */
export function LabelEfficiencyStudyButton({ compact = false }: { compact?: boolean }) {
  const busy = useLab((s) => s.live.controller !== 'idle' || s.live.status === 'starting');
  const sweepActive = useSweeps((s) => s.activeId !== null);
  const shipped = useLab((s) => s.config.pretrain.init);
  const pretrains = useLab((s) => s.config.pretrain.enabled);
  const start =
    shipped !== null
      ? `Starts from the shipped encoder “${shipped}”, then fine-tunes`
      : pretrains
        ? 'Pretrains once with the current settings, then fine-tunes'
        : 'Without pretraining, fine-tunes';
  const explanation = `${start} on ${fractionsText} of the labels, each beside supervised-only.`;
  return (
    <div className={compact ? 'study-button compact' : 'study-button'}>
      <button
        type="button"
        className={compact ? undefined : 'primary'}
        disabled={busy || sweepActive}
        onClick={() => void startLabelEfficiencyStudy()}
        aria-describedby={compact ? undefined : 'study-explanation'}
        title={compact ? explanation : undefined}
      >
        Label-efficiency study
      </button>
      {!compact && (
        <p className="field-help" id="study-explanation">
          {explanation} Runs as a sweep: its trials appear below and in Runs, its results in the label-efficiency chart.
        </p>
      )}
    </div>
  );
}

/** A sweep over the label fraction, charted from its own runs (the Live chart mixes in every run). */
export function SweepLabelEfficiency({ sweep }: { sweep: ShownSweep }) {
  const runs = useLab((s) => s.runs);
  const rows = useMemo(() => {
    const own = new Set(Object.values(sweep.runIds));
    return labelEfficiencyRows(runs.filter((r) => own.has(r.id)));
  }, [runs, sweep.runIds]);
  if (sweep.source !== 'local' || !sweepsLabelFraction(sweep.spec)) return null;
  return (
    <div data-testid="sweep-label-efficiency">
      <LabelEfficiencyChart rows={rows} />
    </div>
  );
}
