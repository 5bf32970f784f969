/**
 * The Chromium that the e2e suite (playwright.config.ts) and the browser bench (src/bench/browserBench.ts)
 * launch, and the flags they launch it with: one list, so the bench measures the browser the tests run.
 */

/** Chromium's executable: $CHROMIUM_PATH, else the Debian package's. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/**
 * Flags for a machine that may have no network: they keep Chromium from trying to reach Google
 * services (and from sandboxing, which containers often cannot).
 */
export const chromiumQuietArgs: readonly string[] = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** The quiet flags with WebGPU on (Linux Chromium keeps it behind this flag). */
export const chromiumWebGpuArgs: readonly string[] = ['--enable-unsafe-webgpu', ...chromiumQuietArgs];
