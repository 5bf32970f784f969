import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { availableNodeBackends, NODE_BACKEND_NAMES, selectNodeBackend } from './nodeBackends';

describe('selectNodeBackend', () => {
  it('falls back through the candidates in order and reports every one it passed over', async () => {
    const selected = await selectNodeBackend();
    const order = ['tfjs-node-gpu', 'tfjs-node', 'webgpu', 'wasm', 'cpu'];
    expect(tf.getBackend()).toBe(selected.name);
    if (selected.name !== 'tensorflow') {
      // One notice per candidate tried before the chosen one, in order, each saying why.
      expect(selected.notices.map((n) => n.split(' ')[1])).toEqual(order.slice(0, order.indexOf(selected.name)));
    }
    for (const notice of selected.notices) expect(notice).toMatch(/^backend \S+ not used: .+/);
  });

  it('installs the training kernels on the backend it picks', async () => {
    const selected = await selectNodeBackend('wasm');
    expect(selected.name).toBe('wasm');
    expect(selected.notices).toEqual([]);
    expect(selected.detail).toMatch(/Conv2DBackpropFilter/);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('forces cpu', async () => {
    const selected = await selectNodeBackend('cpu');
    expect(selected.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('names the accepted backends when given an unknown one', async () => {
    await expect(selectNodeBackend('tpu')).rejects.toThrow(/Unknown backend 'tpu'.*wasm, cpu/);
    expect(NODE_BACKEND_NAMES).toContain('tensorflow-gpu');
  });

  it('lists the backends that can start when a forced one cannot', async () => {
    const available = await availableNodeBackends();
    expect(available).toContain('wasm');
    expect(available).toContain('cpu');
    if (!available.includes('tfjs-node')) {
      await expect(selectNodeBackend('tensorflow')).rejects.toThrow(
        new RegExp(`could not start .*not installed.*Available here: ${available.join(', ')}\\.`),
      );
    }
  });
});
