import { useMemo } from 'react';
import { flattenConfig } from '../../core';
import { formatRate } from '../../browser/backendRanking';
import { earlyStoppingMetrics, metricGoal, objectiveMetrics, sweepMethods, type ObjectiveMetric, type StageMetric } from '../../sweep/spec';
import { formatDuration } from '../store/eta';
import { useLab } from '../store/labStore';
import { hasNumericChoices, labelOf } from './fieldKind';
import { RunOnServerButton } from './ServerSweeps';
import { startSweep } from './sweepController';
import { type ParameterMark, validateDraft } from './sweepDraft';
import { estimateSweep } from './sweepEta';
import { slotsHere } from './trialWorkers';
import { useSweeps } from './sweepStore';

/** The images/s the lab has measured: the last run's latest figure, else the backend measurement. */
function useMeasuredRate(): { rate: number | null; source: string } {
  const metrics = useLab((s) => s.live.metrics);
  const report = useLab((s) => s.backendReport);
  for (let i = metrics.length - 1; i >= 0; i--) {
    const rate = metrics[i].imagesPerSecond;
    if (typeof rate === 'number' && rate > 0) return { rate, source: 'the last run' };
  }
  const chosen = report?.measurements.find((m) => m.name === report.chosen)?.imagesPerSecond ?? null;
  return chosen ? { rate: chosen, source: `the ${report?.chosen} backend measurement` } : { rate: null, source: '' };
}

function Errors({ id, messages }: { id: string; messages: string[] | undefined }) {
  if (!messages?.length) return null;
  return (
    <ul className="field-error sweep-errors" id={id} data-testid={`sweep-error-${id}`}>
      {messages.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

const errorId = (target: string) => `err-${target.replace(/[^a-zA-Z0-9_-]/g, '-')}`;

/**
 * Builds a sweep from the settings marked "sweep this" (⇄ beside a control): each marked field sweeps
 * a comma list of values or a range; the method, trial count, objective and early stopping complete
 * the spec. The spec is validated on every keystroke by the same schema the CLI and the server use,
 * and each error shows under the field it names.
 */
export function SweepBuilder() {
  const config = useLab((s) => s.config);
  const draft = useSweeps((s) => s.draft);
  const setDraft = useSweeps((s) => s.setDraft);
  const check = useMemo(() => validateDraft(draft, config, hasNumericChoices), [draft, config]);
  const measured = useMeasuredRate();
  const backend = useLab((s) => s.backend?.name ?? null);
  const slots = useMemo(() => slotsHere(backend, check.ok ? check.spec.concurrency : 1), [backend, check]);
  const estimate = useMemo(() => (check.ok ? estimateSweep(check.spec, measured.rate, slots) : null), [check, measured.rate, slots]);
  const busy = useLab((s) => s.live.controller !== 'idle' || s.live.status === 'starting');
  const sweepActive = useSweeps((s) => s.activeId !== null);
  const errs = check.errors;

  return (
    <section className="sweep-builder" aria-labelledby="sweep-builder-title">
      <h2 id="sweep-builder-title">Build a sweep</h2>
      <p className="field-help">
        Press ⇄ next to a setting in the side panel to sweep it. Every trial starts from the current settings and changes only the swept
        ones.
      </p>
      {draft.marks.length === 0 ? (
        <p className="chart-empty">No settings marked yet.</p>
      ) : (
        <div className="sweep-marks" data-testid="sweep-marks">
          {draft.marks.map((mark) => (
            <MarkEditor key={mark.path} mark={mark} current={flattenConfig(config)[mark.path]} errors={errs[`param:${mark.path}`]} />
          ))}
        </div>
      )}
      <Errors id={errorId('parameters')} messages={errs.parameters} />
      <div className="sweep-options">
        <label>
          Name
          <input
            type="text"
            value={draft.name}
            onChange={(e) => setDraft({ name: e.target.value })}
            aria-describedby={errs.name ? errorId('name') : undefined}
          />
        </label>
        <label>
          Method
          <select value={draft.method} onChange={(e) => setDraft({ method: e.target.value as (typeof sweepMethods)[number] })}>
            {sweepMethods.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          Trials
          <input
            type="number"
            min={1}
            step={1}
            value={draft.trials}
            placeholder={draft.method === 'grid' ? 'whole grid' : 'required'}
            onChange={(e) => setDraft({ trials: e.target.value })}
            aria-invalid={!!errs.trials}
            aria-describedby={errs.trials ? errorId('trials') : undefined}
            name="sweep.trials"
          />
        </label>
        <label>
          Seed
          <input
            type="number"
            min={0}
            step={1}
            value={draft.seed}
            onChange={(e) => setDraft({ seed: e.target.value })}
            aria-describedby={errs.seed ? errorId('seed') : undefined}
          />
        </label>
        <label>
          Trials at once
          <input
            type="number"
            min={1}
            max={64}
            step={1}
            value={draft.concurrency}
            name="sweep.concurrency"
            onChange={(e) => setDraft({ concurrency: e.target.value })}
            aria-invalid={!!errs.concurrency}
            aria-describedby={errs.concurrency ? errorId('concurrency') : undefined}
          />
        </label>
      </div>
      <Errors id={errorId('name')} messages={errs.name} />
      <Errors id={errorId('trials')} messages={errs.trials} />
      <Errors id={errorId('seed')} messages={errs.seed} />
      <Errors id={errorId('concurrency')} messages={errs.concurrency} />
      <Errors id={errorId('method')} messages={errs.method} />
      <div className="sweep-options">
        <label>
          Objective
          <select
            value={draft.objective}
            name="sweep.objective"
            aria-describedby={errs.objective ? errorId('objective') : undefined}
            onChange={(e) => {
              const objective = e.target.value as ObjectiveMetric;
              setDraft({ objective, goal: metricGoal(objective) });
            }}
          >
            {objectiveMetrics.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          Goal
          <select value={draft.goal} onChange={(e) => setDraft({ goal: e.target.value as 'maximize' | 'minimize' })}>
            <option value="maximize">maximize</option>
            <option value="minimize">minimize</option>
          </select>
        </label>
      </div>
      <Errors id={errorId('objective')} messages={errs.objective} />
      <fieldset className="sweep-options">
        <legend>Early stopping</legend>
        <label>
          Rule
          <select
            value={draft.earlyStopping}
            name="sweep.earlyStopping"
            onChange={(e) => setDraft({ earlyStopping: e.target.value as 'off' | 'asha' | 'median' })}
          >
            <option value="off">off</option>
            <option value="asha">ASHA (successive halving)</option>
            <option value="median">median rule</option>
          </select>
        </label>
        {draft.earlyStopping !== 'off' && (
          <>
            <label>
              Watch
              <select value={draft.earlyStoppingMetric} onChange={(e) => setDraft({ earlyStoppingMetric: e.target.value as StageMetric })}>
                {earlyStoppingMetrics.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {draft.earlyStopping === 'asha' ? 'First rung (epochs)' : 'From epoch'}
              <input type="number" min={0} step="any" value={draft.minEpochs} onChange={(e) => setDraft({ minEpochs: e.target.value })} />
            </label>
            {draft.earlyStopping === 'asha' && (
              <label>
                η (keep top 1/η)
                <input
                  type="number"
                  min={1.5}
                  step="any"
                  value={draft.reductionFactor}
                  onChange={(e) => setDraft({ reductionFactor: e.target.value })}
                />
              </label>
            )}
          </>
        )}
      </fieldset>
      <Errors id={errorId('earlyStopping')} messages={errs.earlyStopping} />
      <Errors id={errorId('general')} messages={errs.general} />
      <div
        className="sweep-plan"
        data-testid="sweep-plan"
        data-trials={check.ok ? check.spec.trials : ''}
        data-workers={slots.workers}
        data-valid={check.ok}
      >
        {check.ok && estimate ? (
          <>
            <strong>{estimate.trials} trials</strong> · {slots.note}
            {estimate.seconds !== null
              ? ` · about ${formatDuration(estimate.seconds)} of training at ${formatRate(measured.rate ?? 0)} images/s (measured by ${measured.source}; evaluation not counted${check.spec.earlyStopping ? ', early stopping makes it shorter' : ''})`
              : measured.rate === null
                ? ' · time: no speed measured yet (start a run or let the backend measurement finish)'
                : ' · time: unknown for this dataset until its size is known'}
          </>
        ) : (
          'Fix the fields marked above to see the trial count and time.'
        )}
      </div>
      <button
        type="button"
        className="primary"
        disabled={!check.ok || busy || sweepActive}
        onClick={() => check.ok && void startSweep(check.spec)}
      >
        Run sweep
      </button>{' '}
      <RunOnServerButton spec={check.ok ? check.spec : null} />
    </section>
  );
}

function MarkEditor({ mark, current, errors }: { mark: ParameterMark; current: unknown; errors: string[] | undefined }) {
  const update = useSweeps((s) => s.updateMark);
  const remove = useSweeps((s) => s.toggleMark);
  const method = useSweeps((s) => s.draft.method);
  const label = labelOf(mark.path);
  const id = `mark-${mark.path.replace(/\./g, '-')}`;
  const described = errors?.length ? `${id}-error` : undefined;
  return (
    <fieldset className={`sweep-mark ${errors?.length ? 'field-invalid' : ''}`} data-mark={mark.path}>
      <legend>
        {label} <code>{mark.path}</code> <span className="field-help">now {String(current)}</span>
      </legend>
      {mark.kind === 'numeric' && (
        <label>
          Sweep
          <select value={mark.mode} onChange={(e) => update(mark.path, { mode: e.target.value as 'values' | 'range' })}>
            <option value="values">values</option>
            <option value="range">range</option>
          </select>
        </label>
      )}
      {mark.mode === 'values' || mark.kind === 'choice' ? (
        <label className="sweep-values">
          Values
          <input
            type="text"
            value={mark.valuesText}
            name={`sweep.values.${mark.path}`}
            aria-describedby={described}
            aria-invalid={!!errors?.length}
            onChange={(e) => update(mark.path, { valuesText: e.target.value })}
          />
        </label>
      ) : (
        <>
          {(['min', 'max'] as const).map((bound) => (
            <label key={bound}>
              {bound === 'min' ? 'Min' : 'Max'}
              <input
                type="text"
                inputMode="decimal"
                value={mark[bound]}
                name={`sweep.${bound}.${mark.path}`}
                aria-describedby={described}
                onChange={(e) => update(mark.path, { [bound]: e.target.value })}
              />
            </label>
          ))}
          <label>
            Scale
            <select value={mark.scale} onChange={(e) => update(mark.path, { scale: e.target.value as 'linear' | 'log' })}>
              <option value="linear">linear</option>
              <option value="log">log</option>
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={mark.int} onChange={(e) => update(mark.path, { int: e.target.checked })} />
            whole numbers
          </label>
          {method === 'grid' && (
            <label>
              Grid points
              <input
                type="number"
                min={2}
                max={20}
                step={1}
                value={mark.gridPoints}
                onChange={(e) => update(mark.path, { gridPoints: Math.max(2, Math.min(20, Number(e.target.value) || 2)) })}
              />
            </label>
          )}
        </>
      )}
      <button type="button" onClick={() => remove(mark.path, current, undefined, false)} aria-label={`Remove ${label} from the sweep`}>
        Remove
      </button>
      {errors?.length ? (
        <ul className="field-error sweep-errors" id={`${id}-error`} data-testid={`sweep-error-param-${mark.path}`}>
          {errors.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      ) : null}
    </fieldset>
  );
}
