// examples/vad in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// the page loads recur's browser build of recur/vad and vad-web's Silero v5 file, and
//   • for a WAV file, gives every frame's speech probability and the segments exactly as recur's
//     Node build does for the same samples, also after a knob changes and for an 8 kHz file;
//   • for the microphone (Chromium's fake device playing test audio in a loop, through an
//     AudioWorklet or a ScriptProcessor and the page's chunked resampler), plots frames and
//     reports a speech segment within 20 s.
// Skipped where Chromium is not installed, except in CI, where its absence fails the test.
//
// The README's picture: RECUR_SCREENSHOT=docs/vad-demo.png npx vitest run test/e2e/vad.browser --project relaxed

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamResampler } from '../../examples/vad/resampler.js';
import { resample } from '../../src/vad/wav.js';
import { recurNode, root, serveRepository } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM) || Boolean(process.env.CI);

const AUDIO = join(root, 'test/fixtures/audio');
const WAV16 = join(AUDIO, 'speech-mix-16k.wav');
const WAV8 = join(AUDIO, 'speech-mix-8k.wav');
const MODEL = join(root, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');
const SPEECH: { start: number; end: number }[] = JSON.parse(readFileSync(join(AUDIO, 'speech-mix.json'), 'utf8')).speech;

type Segment = { start: number; end: number; startFrame: number; endFrame: number; speechStart: number; speechFrames: number };
const pick = ({ start, end, startFrame, endFrame, speechStart, speechFrames }: Segment): Segment => ({ start, end, startFrame, endFrame, speechStart, speechFrames });
const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;

describe('examples/vad/resampler.js', () => {
  it('resamples a stream chunk by chunk as resample() does the whole of it', () => {
    for (const [from, to] of [[48000, 16000], [44100, 16000], [8000, 16000], [22050, 16000]]) {
      const n = 2 * from + 77;
      const x = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(i * 0.01 * (1 + (20 * i) / n)) + 0.1 * Math.sin(i * 1.7));
      const whole = resample(x, from, to);
      const r = streamResampler(from, to, resample);
      const parts: Float32Array[] = [];
      for (let at = 0, k = 0; at < n; k++) {
        const len = [128, 1000, 4096, 7, 333][k % 5];
        parts.push(r.push(x.subarray(at, at + len)));
        at += len;
      }
      parts.push(r.flush());
      const got = Float32Array.from(parts.flatMap((p) => Array.from(p)));
      expect(got.length, `${from} → ${to}`).toBe(whole.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - whole[i]));
      expect(worst, `${from} → ${to}`).toBeLessThan(1e-6);
    }
  });
});

describe.skipIf(!available)('examples/vad in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: Awaited<ReturnType<typeof serveRepository>>;
  let vad: typeof import('../../src/vad/index.js');
  const model = new Uint8Array(readFileSync(MODEL));
  const errors: string[] = [];

  beforeAll(async () => {
    server = await serveRepository();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
        // A microphone without a person: the fake device plays this 16-bit PCM WAV in a loop.
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${WAV16}`],
    });
    page = await browser.newPage({ viewport: { width: 1040, height: 700 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${server.url}/examples/vad/`);
    await state('ready', 30_000);
    // Node's reference runs the build of the kernels the page chose (relaxed SIMD in Chromium).
    await page.addScriptTag({ type: 'module', content: "import { init } from '/dist/index.js'; window.recurBuild = (await init()).build;" });
    const build = await (await page.waitForFunction(() => (window as any).recurBuild)).jsonValue() as 'simd' | 'relaxed';
    await recurNode(build);
    if (!existsSync(join(root, 'dist/vad-node.js'))) throw new Error('dist/vad-node.js is missing: run npm run build');
    vad = await import(/* @vite-ignore */ join(root, 'dist/vad-node.js'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Waits for the page's data-state, failing at once with the page's status if it shows an error. */
  async function state(wanted: string, timeout = 20_000, on = page) {
    await on.waitForSelector(`body[data-state=${wanted}], body[data-state=error]`, { timeout })
      .catch(async (err) => { throw new Error(`the page is not ${wanted}: ${await on.textContent('#run-status')} ${await on.textContent('#model-status')} ${errors.join('; ')} (${err.message})`); });
    if (await on.getAttribute('body', 'data-state') === 'error') {
      throw new Error(`the page failed: ${await on.textContent('#model-status')} ${errors.join('; ')}`);
    }
  }

  const shown = (on = page) => on.evaluate(() => {
    const t = (window as any).vadTest;
    return { probabilities: t.probabilities as number[], segments: t.segments as Segment[], plottedFrames: t.plottedFrames as number,
             capture: t.capture as string | null, inputSampleRate: t.inputSampleRate as number };
  });

  const knob = async (name: string, value: number) => {
    await page.fill(`#${name}`, String(value));   // an input event: the page re-segments at once
    expect(await page.inputValue(`#${name}`)).toBe(String(value));
  };

  /** The largest difference between the page's probabilities and Node's. */
  const worstDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
  };

  it('loads vad-web\'s Silero v5 file, with vad-web\'s default knobs', async () => {
    expect(await page.textContent('#model-status')).toMatch(/^Model: silero_vad_v5\.onnx \(Silero v5\).*512 samples \(32 ms\)/);
    for (const name of ['positiveSpeechThreshold', 'negativeSpeechThreshold', 'redemptionMs', 'preSpeechPadMs', 'minSpeechMs'] as const) {
      expect(Number(await page.inputValue(`#${name}`)), name).toBe(vad.defaultSegmenterOptions[name]);
    }
    expect(errors).toEqual([]);
  });

  it('a WAV file: every frame\'s probability and the segments equal Node\'s; the knobs re-segment it', async () => {
    await page.setInputFiles('#file', WAV16);
    await state('done');
    const got = await shown();

    const wav = vad.readWav(readFileSync(WAV16));
    const expected = await vad.detectSpeech(model, wav.samples, { inputSampleRate: wav.sampleRate });
    expect(got.probabilities).toHaveLength(375);   // 12 s in 32 ms frames
    expect(worstDifference(got.probabilities, expected.probabilities)).toBeLessThanOrEqual(1e-6);
    expect(got.probabilities).toEqual(Array.from(expected.probabilities));   // in fact identical
    expect(got.segments).toEqual(expected.segments.map(pick));
    expect(got.plottedFrames).toBe(375);
    expect(await page.$$eval('#segments li', (li) => li.map((e) => e.textContent))).toEqual(
      expected.segments.map((s) => `${(s.start / 1000).toFixed(2)}–${(s.end / 1000).toFixed(2)} s (${((s.end - s.start) / 1000).toFixed(2)} s)`));

    // vad-web's redemptionMs 1400 (43 frames) is about as long as the 1.5 s pauses between the
    // sentences, so with the defaults two of them merge; 1000 separates all three.
    await knob('redemptionMs', 1000);
    const resegmented = (await shown()).segments;
    const reference = vad.segmentsFromProbabilities(expected.probabilities, { redemptionMs: 1000 });
    expect(resegmented).toEqual(reference.map(pick));
    expect(resegmented).toHaveLength(3);
    resegmented.forEach((s, i) => expect(overlaps(s, SPEECH[i]), `segment ${i}`).toBe(true));
    expect(await page.$$eval('#segments li', (li) => li.length)).toBe(3);
    expect(errors).toEqual([]);

    if (process.env.RECUR_SCREENSHOT) {
      await page.$eval('#redemptionMs', (e: HTMLInputElement) => e.blur());
      await page.screenshot({ path: process.env.RECUR_SCREENSHOT, fullPage: true });
    }
  });

  it('an 8 kHz WAV file: resampled to 16 kHz as Node does it, the same frames and segments', async () => {
    await page.setInputFiles('#file', WAV8);
    await state('done');
    const got = await shown();
    const wav = vad.readWav(readFileSync(WAV8));
    expect(wav.sampleRate).toBe(8000);
    const expected = await vad.detectSpeech(model, wav.samples, { inputSampleRate: 8000, redemptionMs: 1000 });
    expect(got.inputSampleRate).toBe(8000);
    expect(worstDifference(got.probabilities, expected.probabilities)).toBeLessThanOrEqual(1e-6);
    expect(got.segments).toEqual(expected.segments.map(pick));
    expect(await page.textContent('#run-status')).toMatch(/8000 Hz → 16 kHz/);
    expect(errors).toEqual([]);
  });

  it('a file that is not a WAV: the RecurFormatError on the page, and the page still works', async () => {
    await page.setInputFiles('#file', { name: 'notes.wav', mimeType: 'audio/wav', buffer: Buffer.from('RIFF\x04\x00\x00\x00JUNK') });
    await state('ready');
    expect(await page.textContent('#run-status')).toBe('Could not read notes.wav: WAV: RIFF file of form "JUNK", not WAVE');
    expect(await page.isEnabled('#mic')).toBe(true);
    expect(errors).toEqual([]);
  });

  /** Starts the page's microphone, waits for a segment, stops it; what it saw. */
  async function listen(on: Page) {
    await on.click('#mic');
    await state('listening', 10_000, on);
    const started = Date.now();
    await on.waitForFunction(() => (window as any).vadTest.segments.length >= 1, null, { timeout: 20_000 })
      .catch(async () => { throw new Error(`no segment in 20 s: ${JSON.stringify(await shown(on)).slice(0, 400)} ${errors.join('; ')}`); });
    const seconds = (Date.now() - started) / 1000;
    const during = await shown(on);
    await on.click('#stop');
    await state('done', 10_000, on);
    return { seconds, during, after: await shown(on) };
  }

  it('the microphone (a fake device looping the test audio): frames plotted and speech segments within 20 s', async () => {
    // A shorter redemption than vad-web's 1.4 s, so the first sentence ends a segment of its own.
    await knob('redemptionMs', 600);
    const { during, after } = await listen(page);
    expect(during.capture).toBe('AudioWorklet');
    expect(during.inputSampleRate).toBeGreaterThan(0);
    expect(await page.textContent('#run-status')).toMatch(/^Stopped after/);
    // Frames arrived and were plotted, one per 32 ms (some seconds' worth), with speech in them.
    expect(during.probabilities.length).toBeGreaterThan(60);
    expect(during.plottedFrames).toBeGreaterThan(60);
    expect(Math.max(...during.probabilities)).toBeGreaterThan(0.9);
    expect(Math.min(...during.probabilities)).toBeLessThan(0.1);
    // The segment spans speech: at least minSpeechMs of it, at most a sentence and the pauses around it.
    const [first] = during.segments;
    expect(first.speechFrames).toBeGreaterThanOrEqual(400 / 32);
    expect(first.end - first.start).toBeLessThan(6_000);
    expect(first.end).toBeLessThanOrEqual(during.probabilities.length * 32);
    expect(after.probabilities.length).toBeGreaterThanOrEqual(during.probabilities.length);
    expect(await page.$$eval('#segments li', (li) => li.length)).toBe(after.segments.length);
    expect(errors).toEqual([]);
  });

  it('the microphone through the ScriptProcessor fallback (?capture=script)', async () => {
    const other = await browser.newPage({ viewport: { width: 1040, height: 700 } });
    other.on('pageerror', (e) => errors.push(e.message));
    await other.goto(`${server.url}/examples/vad/?capture=script`);
    await state('ready', 30_000, other);
    await other.fill('#redemptionMs', '600');
    const { during } = await listen(other);
    expect(during.capture).toBe('ScriptProcessor');
    expect(during.plottedFrames).toBeGreaterThan(60);
    expect(Math.max(...during.probabilities)).toBeGreaterThan(0.9);
    await other.close();
    expect(errors).toEqual([]);
  });
});
