import cliProgress from 'cli-progress';
import type { RunEvent } from '../core/types';

/**
 * Terminal progress for a run: one bar per stage with step, loss, images/s and ETA (cli-progress),
 * plus the run's log lines. Off a terminal it prints a progress line every few seconds instead.
 */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): (event: RunEvent) => void {
  let bar: cliProgress.SingleBar | null = null;
  // Off a terminal (CI logs, pipes) a bar cannot redraw in place: print a plain line every few seconds.
  let plain: { stage: string; total: number; started: number; startStep: number; lastPrinted: number } | null = null;
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  return (event) => {
    switch (event.type) {
      case 'stage-start':
        stop();
        if (!stream.isTTY) {
          plain = { stage: event.stage, total: event.totalSteps, started: Date.now(), startStep: event.startStep, lastPrinted: 0 };
          break;
        }
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${event.stage.padEnd(9)} [{bar}] {value}/{total} | loss {loss} | {rate} img/s | ETA {eta_formatted}`,
            barsize: 24,
            etaBuffer: 20,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(event.totalSteps, event.startStep, { loss: '-', rate: '-' });
        break;
      case 'metric':
        if (plain && event.loss !== undefined) {
          const now = Date.now();
          if (now - plain.lastPrinted >= 5000 || event.step === plain.total) {
            plain.lastPrinted = now;
            const done = event.step - plain.startStep;
            const eta = done > 0 ? (((now - plain.started) / done) * (plain.total - event.step)) / 1000 : NaN;
            stream.write(
              `${plain.stage} step ${event.step}/${plain.total} | loss ${event.loss.toFixed(4)} | ${(event.imagesPerSecond ?? 0).toFixed(1)} img/s | ETA ${Number.isFinite(eta) ? `${Math.round(eta)}s` : '-'}\n`,
            );
          }
        } else if (bar && event.loss !== undefined) {
          bar.update(event.step, { loss: event.loss.toFixed(4), rate: (event.imagesPerSecond ?? 0).toFixed(1) });
        } else if (event.knnAccuracy !== undefined || event.testAccuracy !== undefined) {
          const parts = [
            event.knnAccuracy !== undefined ? `k-NN accuracy ${(100 * event.knnAccuracy).toFixed(1)}%` : '',
            event.linearProbeAccuracy !== undefined ? `linear probe ${(100 * event.linearProbeAccuracy).toFixed(1)}%` : '',
            event.testAccuracy !== undefined ? `test accuracy ${(100 * event.testAccuracy).toFixed(1)}%` : '',
          ].filter(Boolean);
          stream.write(`\n${event.stage} epoch ${Math.round(event.epoch)}: ${parts.join(', ')}\n`);
        }
        break;
      case 'log':
        stream.write(`\n[${event.level}] ${event.message}\n`);
        break;
      case 'stage-end':
        stop();
        stream.write(
          `${event.stage} ${event.summary.status}: ${event.summary.steps} steps in ${event.summary.seconds.toFixed(1)} s, ` +
            `${event.summary.imagesPerSecond.toFixed(1)} img/s` +
            (event.summary.testAccuracy !== null
              ? `, ${event.stage === 'pretrain' ? 'k-NN' : 'test'} accuracy ${(100 * event.summary.testAccuracy).toFixed(2)}%`
              : '') +
            '\n',
        );
        break;
      case 'run-end':
        stop();
        break;
      default:
        break;
    }
  };
}

/** "45s", "7m05s", "1h07m"; rounded once, up front, so 7m59.6s reads 8m00s and never 7m60s. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
