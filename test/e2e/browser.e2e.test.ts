// examples/browser in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): the page loads recur's browser build, streams generated text, fine-tunes in
// a Web Worker without blocking the page, and every number equals what recur's Node build gives
// for the same model, prompt, seed and text. Skipped where Chromium is not installed, except in
// CI (.ci/run installs it), where its absence fails the test.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINE_TUNE, encode, generate, windows } from '../../examples/browser/text.js';
import { charModel, recurNode, serveRepository, type CharModel } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM) || Boolean(process.env.CI);

const PROMPT = 'it was';
const TEMPERATURE = 0.5;
const SEED = 7;
const TEXT = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of ' +
  'foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light.';

describe.skipIf(!available)('examples/browser in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: Awaited<ReturnType<typeof serveRepository>>;
  let model: CharModel;
  let recur: Awaited<ReturnType<typeof recurNode>>;
  const errors: string[] = [];

  beforeAll(async () => {
    model = await charModel('int8');   // the page's default: the char model with int8 weights
    server = await serveRepository(model.shipped ? {} : {
      '/models/char-lstm.int8.safetensors': model.file,
      '/models/char-lstm.int8.json': JSON.stringify({ vocab: model.vocab.join(''), unknown: model.unknown }),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1040, height: 640 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${server.url}/examples/browser/?seed=${SEED}`);
    await page.waitForSelector('body[data-state=ready]', { timeout: 15_000 })
      .catch((err) => { throw new Error(`the page did not get ready: ${errors.join('; ') || err.message}`); });
    // Node's reference runs the build of the kernels the page chose (relaxed SIMD in Chromium).
    await page.addScriptTag({ type: 'module', content: "import { init } from 'recur'; window.recurBuild = (await init()).build;" });
    const build = await (await page.waitForFunction(() => (window as any).recurBuild)).jsonValue() as 'simd' | 'relaxed';
    recur = await recurNode(build);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Waits for the page's data-state, failing at once with the page's status if it shows an error. */
  const state = async (wanted: string, timeout = 20_000) => {
    await page.waitForSelector(`body[data-state=${wanted}], body[data-state=error]`, { timeout });
    if (await page.getAttribute('body', 'data-state') === 'error') {
      throw new Error(`the page failed: ${await page.textContent('#train-status')} ${await page.textContent('#model-status')} ${errors.join('; ')}`);
    }
  };

  /** The page's current model, stepped through `ids` on a fresh stream: every step's logits. */
  const pageLogits = (ids: number[]) => page.evaluate((ids) => {
    const stream = (window as any).demo.model.stream();
    const out = stream.steps(Int32Array.from(ids), ids.length);
    stream.dispose();
    return Array.from(out as Float32Array);
  }, ids);

  const nodeLogits = (m: { stream(): any }, ids: number[]) => {
    const stream = m.stream();
    const out = Array.from(stream.steps(Int32Array.from(ids), ids.length) as Float32Array);
    stream.dispose();
    return out;
  };

  it('loads the bundle and the model, and gives the logits Node gives', async () => {
    // The page loads the int8 file by default, and says so.
    expect(await page.textContent('#model-status')).toMatch(/^Model: char-lstm\.int8\.safetensors \(.*; int8 weights, [\d,]+ kB downloaded\)\. The int8 file is a quarter of the f32 one/);
    const reference = await recur.loadModel(model.file);
    const ids = Array.from(encode(TEXT.slice(0, 40), model.vocab, model.unknown));
    expect(await pageLogits(ids)).toEqual(nodeLogits(reference, ids));
    reference.dispose();
    expect(errors).toEqual([]);
  });

  it('streams text as it generates, the same text as Node for the same seed', async () => {
    await page.fill('#prompt', PROMPT);
    await page.$eval('#temperature', (el: HTMLInputElement, t) => {
      el.value = String(t);
      el.dispatchEvent(new Event('input'));
    }, TEMPERATURE);
    expect(await page.textContent('#temperature-value')).toBe(TEMPERATURE.toFixed(2));
    await page.click('#generate');
    // Part of the text is on the page while the rest is still being generated.
    await page.waitForFunction((n) => document.body.dataset.state === 'generating' &&
      document.querySelector('#output')!.textContent!.length > n + 20, PROMPT.length);
    const partial = (await page.textContent('#output'))!.length;
    await state('generated');
    const shown = (await page.textContent('#output'))!;
    expect(partial).toBeLessThan(shown.length);

    const reference = await recur.loadModel(model.file);
    const expected = await generate(reference.stream(), model.vocab,
      { prompt: PROMPT, length: 600, temperature: () => TEMPERATURE, seed: SEED, unknown: model.unknown });
    reference.dispose();
    expect(shown).toBe(PROMPT + expected);
    expect(errors).toEqual([]);
  });

  it('fine-tunes in a Web Worker with the losses and gradient reach Node gets, then generates from the new weights', async () => {
    // Diagnostics on steps 1 and N + 1 (N = FINE_TUNE.diagnosticsEvery), and one step after.
    const every = FINE_TUNE.diagnosticsEvery;
    const steps = every + 2;
    await page.fill('#text', TEXT);
    await page.fill('#steps', String(steps));
    await page.click('#train');
    await state('trained');
    const { losses, reach } = await page.evaluate(() => ({ losses: (window as any).demo.losses, reach: (window as any).demo.reach }));

    // Node's Trainer on the same examples, with diagnostics on the same steps.
    const reference = await recur.loadModel(model.file);
    const trainer = new recur.Trainer(reference, FINE_TUNE.trainer as any);
    const examples = windows(encode(TEXT, model.vocab, model.unknown), FINE_TUNE.seqLen);
    const expectedReach: unknown[] = [];
    const expected = Array.from({ length: steps }, (_, i) => {
      const ex = examples[i % examples.length];
      const r = trainer.step(ex.inputs, ex.targets, i % every === 0 ? { ...ex, diagnostics: true } : ex);
      if (r.diagnostics) {
        const { gradNorms, peakStep, lag } = r.diagnostics.layers.lstm[0];
        expectedReach.push({ step: i + 1, layer: 'lstm', gradNorms, peakStep, lag, threshold: r.diagnostics.threshold });
      }
      return r.loss;
    });
    expect(losses).toEqual(expected);
    expect(await page.textContent('#train-status')).toMatch(new RegExp(`^Fine-tuned: ${steps} steps`));

    // The gradient plot's data: ‖∂L/∂h_t‖ for t = 0 … seqLen − 1 at steps 1 and N + 1, as Node has them.
    expect(expectedReach).toHaveLength(2);
    expect(reach).toEqual(expectedReach);
    expect(reach[1].gradNorms).toHaveLength(FINE_TUNE.seqLen);
    // Its caption: the last diagnostics' lag below 1 % of the peak, or that it reaches t = 0.
    const last = expectedReach[1] as { step: number; peakStep: number; lag: number | null };
    expect(await page.textContent('#reach-caption')).toBe(last.lag === null
      ? `Gradient at step ${last.step}: reaches t = 0 above 1 % of its peak (t = ${last.peakStep}).`
      : `Gradient at step ${last.step}: below 1 % of its peak (t = ${last.peakStep}) at lag ${last.lag}.`);
    // And the plot is drawn: the curve's blue is on the canvas.
    const curvePixels = await page.$eval('#reach', (canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 200 && data[i + 2] > 180 && data[i] < 120) n++;
      return n;
    });
    expect(curvePixels).toBeGreaterThan(20);

    const ids = Array.from(encode('it was the', model.vocab, model.unknown));
    expect(await pageLogits(ids)).toEqual(nodeLogits(reference, ids));
    trainer.dispose();
    reference.dispose();
    expect(errors).toEqual([]);
  });

  it('keeps painting frames while the worker trains, and stops when asked', async () => {
    await page.fill('#steps', '100000');
    await page.click('#train');
    await page.waitForFunction(() => (window as any).demo.losses.length >= 3);
    // The longest gap between animation frames over half a second of training.
    const longestFrame = await page.evaluate(() => new Promise<number>((resolve) => {
      let last = performance.now(), longest = 0;
      const end = last + 500;
      const tick = (now: number) => {
        longest = Math.max(longest, now - last);
        last = now;
        if (now < end) requestAnimationFrame(tick); else resolve(longest);
      };
      requestAnimationFrame(tick);
    }));
    expect(longestFrame).toBeLessThan(100);
    await page.click('#stop-train');
    await state('trained', 10_000);
    const trained = await page.evaluate(() => (window as any).demo.losses.length);
    expect(trained).toBeGreaterThan(3);
    expect(trained).toBeLessThan(100_000);
    expect(await page.textContent('#train-status')).toMatch(new RegExp(`^Fine-tuned: ${trained} steps`));
    expect(errors).toEqual([]);
    // The README's picture, the fine-tuned model's voice: RECUR_SCREENSHOT=docs/browser-demo.png npx vitest run test/e2e/browser
    if (process.env.RECUR_SCREENSHOT) {
      await page.fill('#prompt', 'It was');
      await page.click('#generate');
      await state('generated');
      await page.screenshot({ path: process.env.RECUR_SCREENSHOT });
    }
  });
  it('trainInWorker: weights mid-run, stop(), and the worker\'s errors as RecurError classes', async () => {
    // The library as the page imports it (a module script: vitest would rewrite an import() here).
    await page.addScriptTag({ type: 'module', content: "import * as recur from 'recur'; import * as text from './text.js'; window.modules = { recur, text };" });
    await page.waitForFunction(() => (window as any).modules);
    const result = await page.evaluate(async ({ text }) => {
      const { recur, text: { encode, windows } } = (window as any).modules;
      const demo = (window as any).demo;
      const examples = windows(encode(text, demo.vocab, demo.unknown), 16);
      const file = recur.saveModel(demo.model);
      let progressed = 0, diagnosed = 0;
      const run = recur.trainInWorker({ model: file, examples, steps: 1_000_000, trainer: { loss: 'crossEntropy', lr: 1e-3 },
                                        onProgress: (p: any) => { progressed++; if ('diagnostics' in p) diagnosed++; } });
      while (progressed < 3) await new Promise((r) => setTimeout(r, 5));
      const midway = await recur.loadModel(await run.weights());
      const midwayOk = midway.stream().step(Int32Array.of(1)).length === demo.model.stream().step(Int32Array.of(1)).length;
      const { model, progress } = await run.stop();
      const final = await recur.loadModel(model);
      const bad = recur.trainInWorker({ model: file, examples, trainer: { loss: 'hinge' } });
      const error = await bad.done.then(() => null, (e: Error) => ({ name: e.name, isRecur: e instanceof recur.RecurOptionError, message: e.message }));
      // diagnosticsEvery is checked on the page, before a worker starts.
      const refused = [0, -1, 1.5, '10', null].map((every) => {
        try { recur.trainInWorker({ model: file, examples, steps: 1, trainer: { loss: 'crossEntropy' }, diagnosticsEvery: every }); return null; }
        catch (e: any) { return { isRecur: e instanceof recur.RecurOptionError, message: e.message }; }
      });
      return { midwayOk, stoppedAt: progress.step, diagnosed, finalLayers: final.toJSON().layers.length, error, refused };
    }, { text: TEXT });
    expect(result.midwayOk).toBe(true);
    expect(result.stoppedAt).toBeGreaterThanOrEqual(3);
    expect(result.stoppedAt).toBeLessThan(1_000_000);
    expect(result.finalLayers).toBeGreaterThan(0);
    expect(result.error).toMatchObject({ name: 'RecurOptionError', isRecur: true });
    expect(result.error!.message).toMatch(/loss/);
    expect(result.diagnosed).toBe(0);   // no diagnosticsEvery, no diagnostics
    for (const r of result.refused) expect(r).toMatchObject({ isRecur: true, message: expect.stringMatching(/^trainInWorker: diagnosticsEvery must be a positive integer/) });
    expect(errors).toEqual([]);
  });
});
