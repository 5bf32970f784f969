import type { RunControl } from '../core';
import type { ControllerState } from '../protocol/labWorkerApi';

export interface RunControllerOptions {
  /**
   * Awaited before every step. The worker passes a macrotask yield: on the wasm and cpu backends a
   * step never waits on anything truly asynchronous, so without it timers (the event outbox) and
   * the page's messages (Pause, Stop) would wait until the whole run had ended.
   */
  yieldToEventLoop?: () => Promise<void>;
}

/**
 * Pause / resume / single-step / stop between training steps. The engine awaits `beforeStep()`
 * before every step; while paused that promise stays pending, so the worker's event loop stays free
 * to answer the page. `onChange(state, pausing)`: `pausing` is true while a pause was asked for but
 * the step already under way has not ended yet.
 */
export class RunController implements RunControl {
  private state: ControllerState;
  private stepsGranted = 0;
  private wake: (() => void) | null = null;
  /** Between a 'continue' and the next beforeStep(): a step is running. */
  private stepRunning = false;
  /** Paused during a running step: announce "paused" (settled) once that step ends. */
  private pauseUnsettled = false;

  constructor(
    startPaused = false,
    private readonly onChange: (state: ControllerState, pausing: boolean) => void = () => {},
    private readonly options: RunControllerOptions = {},
  ) {
    this.state = startPaused ? 'paused' : 'running';
  }

  get current(): ControllerState {
    return this.state;
  }

  /** True while paused but the step that was running when Pause came has not finished. */
  get pausing(): boolean {
    return this.pauseUnsettled;
  }

  async beforeStep(): Promise<'continue' | 'stop'> {
    this.stepRunning = false;
    if (this.pauseUnsettled) {
      this.pauseUnsettled = false;
      if (this.state === 'paused') this.onChange('paused', false);
    }
    if (this.options.yieldToEventLoop) await this.options.yieldToEventLoop();
    for (;;) {
      if (this.state === 'stopping' || this.state === 'idle') return 'stop';
      if (this.state === 'running') return this.continueStep();
      if (this.stepsGranted > 0) {
        this.stepsGranted--;
        return this.continueStep();
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  pause(): void {
    if (this.state !== 'running') return;
    this.pauseUnsettled = this.stepRunning;
    this.set('paused');
  }

  resume(): void {
    if (this.state === 'paused') {
      this.pauseUnsettled = false;
      this.set('running');
    }
  }

  /** Lets exactly one more step run, then stays paused (pauses first if running). */
  step(): void {
    if (this.state === 'running') this.pause();
    if (this.state !== 'paused') return;
    this.stepsGranted++;
    this.wakeUp();
  }

  stop(): void {
    if (this.state === 'running' || this.state === 'paused') {
      this.pauseUnsettled = false;
      this.set('stopping');
    }
  }

  /** The run is over: later calls are no-ops and any waiter is released with 'stop'. */
  finish(): void {
    this.stepRunning = false;
    this.pauseUnsettled = false;
    this.set('idle');
  }

  private continueStep(): 'continue' {
    this.stepRunning = true;
    return 'continue';
  }

  private set(state: ControllerState): void {
    this.state = state;
    this.onChange(state, this.pauseUnsettled);
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/**
 * Resolves on the next macrotask. A MessageChannel message, unlike setTimeout(0), is not clamped to
 * 4 ms when nested, so a fast step loses next to nothing.
 */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
