#!/usr/bin/env bash
# Prepares `npm run bench` for the H200 device machine (no Node, no network there): bundles
# src/bench/benchCli.ts into one ESM file (Dawn's `webgpu` package stays external; Playwright, Vite,
# sharp and the native server modules are only loaded by bench modes the GPU run does not use),
# then packs it with Node, Dawn and the Vulkan loaders (../shared/gpu/pack-for-device.sh) into
# .devcarry/. On the device, from the checkout's root (see BENCHMARKS.md, "On a GPU"):
#   bash .devcarry/on-device.sh node .devcarry/bench.mjs --backends webgpu --width 1 --n 256 \
#     --kernel-layers --no-torch --no-loader --json
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared/gpu
[ -f "$shared/pack-for-device.sh" ] || { echo "missing $shared/pack-for-device.sh (the team's GPU recipe)" >&2; exit 1; }
mkdir -p bench-results
npx esbuild src/bench/benchCli.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --external:webgpu --external:@playwright/test --external:vite --external:sharp --external:better-sqlite3 \
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --banner:js="import { createRequire as __simclrRequire } from 'node:module'; const require = __simclrRequire(import.meta.url);" \
  --outfile=bench-results/bench.mjs
bash "$shared/pack-for-device.sh" bench-results/bench.mjs
echo "packed: .devcarry/ (carry it to the device with the checkout)"
