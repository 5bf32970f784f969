/**
 * Times what a teacher meets on this machine, for the classroom note (README "Backends" and
 * BENCHMARKS.md): `npm start`, open the page, then
 *   (a) the default run: seconds until its first loss point is charted;
 *   (b) a 10%-label fine-tune from the shipped encoder (the encoder card's recipe, with the
 *       supervised-only baseline): seconds until it finishes, and both accuracies;
 * plus the images/s that "Auto" measured for each backend and what it chose.
 *
 *   npx tsx scripts/first-minute.ts [--skip-default] [--hash 'dataset.trainSize=1000&...']
 *
 * A measurement, not a test: it prints one JSON object and asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { chromiumPath, chromiumWebGpuArgs } from '../src/node/chromium';

const { values } = parseArgs({
  options: {
    'skip-default': { type: 'boolean', default: false },
    // A teacher unticks distillation to see the fine-tune finish: the student trains on every image.
    hash: { type: 'string', default: 'distill.enabled=false' },
  },
});

const seconds = (from: number) => Math.round((performance.now() - from) / 100) / 10;

function startLab(): Promise<{ child: ChildProcess; url: string }> {
  // `npm start` itself, as README tells a newcomer: Vite's dev server on 127.0.0.1:5173.
  const child = spawn('npm', ['start'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('npm start printed no URL within 120 s')), 120_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(chunk.toString());
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const { child, url } = await startLab();
  const result: Record<string, unknown> = { serverUpSeconds: seconds(started) };
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...chromiumWebGpuArgs], headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const opened = performance.now();
    await page.goto(url);
    // Auto times one step of the current model on every backend that starts, then picks one.
    await page.getByTestId('backend-why').waitFor({ state: 'attached', timeout: 600_000 });
    result.backendChosenSeconds = seconds(opened);
    result.auto = await page.getByTestId('backend-measurements').evaluate((table) =>
      [...table.querySelectorAll('tbody tr')].map((row) => ({
        backend: row.getAttribute('data-backend'),
        outcome: row.getAttribute('data-outcome'),
        imagesPerSecond: Number(row.getAttribute('data-rate')) || null,
      })),
    );
    result.why = await page.getByTestId('backend-why').textContent();
    await page.waitForFunction(
      () => /^(webgpu|webgl|wasm|cpu)/.test(document.querySelector('[data-testid="backend-name"]')?.textContent ?? ''),
      undefined,
      { timeout: 600_000 },
    );
    result.backend = await page.getByTestId('backend-name').textContent();

    if (!values['skip-default']) {
      const start = performance.now();
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      await page.waitForFunction(
        () => Number(document.querySelector('[data-testid="chart-pretrain-loss"]')?.getAttribute('data-points') ?? 0) > 0,
        undefined,
        { timeout: 1_800_000, polling: 250 },
      );
      result.defaultRun = { firstLossPointSeconds: seconds(start), fromPageOpenSeconds: seconds(opened) };
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page.waitForSelector('.run-status[data-status="stopped"], .run-status[data-status="completed"]', { timeout: 600_000 });
    }

    // The classroom path: "Start from pretrained" (in the link, as a teacher hands it out), the card's
    // fine-tuning recipe in one click, Start.
    await page.goto(`${url}#pretrain.init=cifar10-resnet18-w025${values.hash ? `&${values.hash}` : ''}`);
    await page.reload();
    await page.waitForFunction(
      () => /^(webgpu|webgl|wasm|cpu)/.test(document.querySelector('[data-testid="backend-name"]')?.textContent ?? ''),
      undefined,
      { timeout: 600_000 },
    );
    // The recipe line appears once the encoder's card has loaded.
    const recipe = page.getByTestId('finetune-recipe');
    await recipe.waitFor({ timeout: 60_000 });
    if ((await recipe.getAttribute('data-follows')) !== 'true') await recipe.getByRole('button').click();
    // The link follows the settings a moment later; it records what this run trains.
    await page.waitForFunction(() => location.hash.includes('pretrain.init=') && location.hash.includes('finetune.learningRate='));
    result.finetuneHash = await page.evaluate(() => location.hash);
    const fineTuneStart = performance.now();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.waitForSelector('.run-status[data-status="completed"], .run-status[data-status="failed"]', { timeout: 3_600_000 });
    const cell = async (stage: string, column: number) =>
      (await page
        .locator(`[data-stage="${stage}"] td`)
        .nth(column)
        .textContent({ timeout: 5000 })
        .catch(() => null)) ?? null;
    const accuracy = (stage: string) => cell(stage, 2);
    result.fineTune = {
      status: await page.locator('.run-status').getAttribute('data-status'),
      seconds: seconds(fineTuneStart),
      fineTuned: await accuracy('finetune'),
      supervisedOnly: await accuracy('baseline'),
      distilled: await accuracy('distill'),
      fineTuneSteps: await cell('finetune', 3),
      pretrainRows: await page.locator('[data-stage="pretrain"]').count(),
    };
  } finally {
    await browser.close();
    if (child.pid) process.kill(-child.pid);
  }
  console.log(JSON.stringify(result, null, 2));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
