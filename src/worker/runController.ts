import type { RunControl } from '../core';
import type { ControllerState } from './api';

/**
 * Pause / resume / single-step / stop between training steps. The engine awaits `beforeStep()`
 * before every step; while paused that promise stays pending, so the worker's event loop stays free
 * to answer the page.
 */
export class RunController implements RunControl {
  private state: ControllerState;
  private stepsGranted = 0;
  private wake: (() => void) | null = null;

  constructor(
    startPaused = false,
    private readonly onChange: (state: ControllerState) => void = () => {},
  ) {
    this.state = startPaused ? 'paused' : 'running';
  }

  get current(): ControllerState {
    return this.state;
  }

  async beforeStep(): Promise<'continue' | 'stop'> {
    for (;;) {
      if (this.state === 'stopping' || this.state === 'idle') return 'stop';
      if (this.state === 'running') return 'continue';
      if (this.stepsGranted > 0) {
        this.stepsGranted--;
        return 'continue';
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  pause(): void {
    if (this.state === 'running') this.set('paused');
  }

  resume(): void {
    if (this.state === 'paused') this.set('running');
  }

  /** Lets exactly one more step run, then stays paused (pauses first if running). */
  step(): void {
    if (this.state === 'running') this.set('paused');
    if (this.state !== 'paused') return;
    this.stepsGranted++;
    this.wakeUp();
  }

  stop(): void {
    if (this.state === 'running' || this.state === 'paused') this.set('stopping');
  }

  /** The run is over: later calls are no-ops and any waiter is released with 'stop'. */
  finish(): void {
    this.set('idle');
  }

  private set(state: ControllerState): void {
    this.state = state;
    this.onChange(state);
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
