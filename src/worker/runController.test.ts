import { describe, expect, it } from 'vitest';
import { RunController } from './runController';

/** Runs `beforeStep` the way the engine does and counts the steps it allowed. */
async function drive(controller: RunController, counter: { steps: number; ended: boolean }): Promise<void> {
  while ((await controller.beforeStep()) === 'continue') {
    counter.steps++;
    await Promise.resolve();
    if (counter.steps > 1000) break;
  }
  counter.ended = true;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('RunController', () => {
  it('holds steps while paused and releases exactly one per step()', async () => {
    const states: string[] = [];
    const controller = new RunController(true, (s) => states.push(s));
    const counter = { steps: 0, ended: false };
    const done = drive(controller, counter);
    await tick();
    expect(counter.steps).toBe(0);
    controller.step();
    await tick();
    expect(counter.steps).toBe(1);
    controller.step();
    controller.step();
    await tick();
    expect(counter.steps).toBe(3);
    controller.stop();
    await done;
    expect(counter.ended).toBe(true);
    expect(counter.steps).toBe(3);
    expect(states.at(-1)).toBe('stopping');
  });

  it('pause stops the flow and resume continues it', async () => {
    const controller = new RunController(false);
    const counter = { steps: 0, ended: false };
    controller.pause();
    const done = drive(controller, counter);
    await tick();
    expect(counter.steps).toBe(0);
    expect(controller.current).toBe('paused');
    controller.resume();
    await tick();
    expect(counter.steps).toBeGreaterThan(0);
    controller.stop();
    await done;
    const stoppedAt = counter.steps;
    controller.resume();
    expect(controller.current).toBe('stopping');
    expect(counter.steps).toBe(stoppedAt);
  });

  it('step() while running pauses after one more step', async () => {
    const controller = new RunController(false);
    controller.step();
    expect(controller.current).toBe('paused');
    expect(await controller.beforeStep()).toBe('continue');
    const pending = controller.beforeStep();
    let settled = false;
    void pending.then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    controller.finish();
    expect(await pending).toBe('stop');
  });

  it('a pause during a running step reads "pausing" until that step ends, then "paused"', async () => {
    const changes: [string, boolean][] = [];
    const controller = new RunController(false, (state, pausing) => changes.push([state, pausing]));
    expect(await controller.beforeStep()).toBe('continue');
    // The step is running now.
    controller.pause();
    expect(changes.at(-1)).toEqual(['paused', true]);
    expect(controller.pausing).toBe(true);
    const next = controller.beforeStep();
    expect(changes.at(-1)).toEqual(['paused', false]);
    expect(controller.pausing).toBe(false);
    controller.finish();
    expect(await next).toBe('stop');
  });

  it('a pause between steps is settled at once', () => {
    const changes: [string, boolean][] = [];
    const controller = new RunController(false, (state, pausing) => changes.push([state, pausing]));
    controller.pause();
    expect(changes).toEqual([['paused', false]]);
  });

  it('yields to the event loop before every step when asked to', async () => {
    let yields = 0;
    const controller = new RunController(false, () => {}, { yieldToEventLoop: async () => void yields++ });
    await controller.beforeStep();
    await controller.beforeStep();
    expect(yields).toBe(2);
  });
});
