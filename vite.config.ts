/// <reference types="vitest/config" />
import { type Plugin, defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer) in the browser.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * tfjs-backend-wasm starts each pthread of its threaded binary by evaluating
 * `WasmBackendModuleThreadedSimd.toString()` in a fresh worker, so that function must not use
 * anything from the closure around it. Emscripten declares `_scriptDir` in that closure; once
 * minified it becomes a one-letter variable the pthread worker does not have ("e is not defined"),
 * every pthread dies, and wasm never starts in a cross-origin-isolated page. Declaring it inside
 * the function as well (same value: undefined in any browser) keeps the function self-contained.
 */
function selfContainedWasmThreadFactory(): Plugin {
  const anchor = 'function(WasmBackendModuleThreadedSimd) {';
  return {
    name: 'simclr:self-contained-wasm-thread-factory',
    transform(code, id) {
      if (!/tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/.test(id.split('?')[0])) return null;
      if (!code.includes(anchor)) {
        throw new Error(`${id}: the emscripten factory has changed shape; check that wasm threads still start (e2e/bench.spec.ts)`);
      }
      return {
        code: code.replace(
          anchor,
          `${anchor} var _scriptDir = typeof document !== 'undefined' && document.currentScript ? ` +
            `document.currentScript.src : undefined; if (typeof __filename !== 'undefined') _scriptDir = _scriptDir || __filename;`,
        ),
        map: null,
      };
    },
  };
}

export default defineConfig({
  plugins: [react(), selfContainedWasmThreadFactory()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  // Worker bundles get only these plugins: tfjs runs in the workers.
  worker: { format: 'es', plugins: () => [selfContainedWasmThreadFactory()] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      // The bench page (npm run bench -- --browser) ships with the app, so preview and e2e serve it too.
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./src/bench/index.html', import.meta.url)),
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
