// VoiceActivityDetector: the same probabilities and events whatever the chunk sizes the audio
// arrives in; a state saved mid-stream (mid-frame, mid-segment) and loaded into another detector
// continues identically; detectSpeech equals pushing the whole recording; bad input is typed.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../../src/node/index.js';
import { RecurFormatError, RecurOptionError, RecurShapeError } from '../../src/errors.js';
import { VoiceActivityDetector, detectSpeech, readWav, type DetectorOutput } from '../../src/vad/index.js';
import { seededRandom } from '../../src/stream/sample.js';

const model = readFileSync(new URL('../../node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx', import.meta.url));
const audio = readWav(readFileSync(new URL('../fixtures/audio/speech-mix-16k.wav', import.meta.url))).samples;
const KNOBS = { redemptionMs: 1000 };

function collect(outputs: DetectorOutput[]): DetectorOutput {
  return { probabilities: outputs.flatMap((o) => o.probabilities), events: outputs.flatMap((o) => o.events) };
}

describe('VoiceActivityDetector', () => {
  it('gives the same probabilities and events for any chunking', async () => {
    const whole = await VoiceActivityDetector.create(model, KNOBS);
    const expected = collect([whole.push(audio), whole.flush()]);
    expect(expected.probabilities.length).toBe(375);
    expect(expected.events.filter((e) => e.type === 'end').length).toBe(3);
    const chunked = await VoiceActivityDetector.create(model, KNOBS);
    const random = seededRandom(5), outs: DetectorOutput[] = [];
    for (let at = 0; at < audio.length;) {
      const n = 1 + Math.floor(random() * 1500);
      outs.push(chunked.push(audio.subarray(at, at + n)));
      at += n;
    }
    outs.push(chunked.flush());
    expect(collect(outs)).toEqual(expected);
    whole.dispose(); chunked.dispose();
  });

  it('continues identically from a state saved mid-frame and mid-segment', async () => {
    const a = await VoiceActivityDetector.create(model, KNOBS), b = await VoiceActivityDetector.create(model, KNOBS);
    const cut = 16000 * 2 + 123;                 // inside the first sentence, inside a frame
    a.push(audio.subarray(0, cut));
    expect(a.segmenter.speaking).toBe(true);
    const state = structuredClone(a.saveState());   // as IndexedDB or postMessage would carry it
    const expected = collect([a.push(audio.subarray(cut)), a.flush()]);
    b.loadState(state);
    expect(collect([b.push(audio.subarray(cut)), b.flush()])).toEqual(expected);
    expect(() => b.loadState({ ...state, pending: new Float32Array(512) })).toThrow(RecurFormatError);
    expect(() => b.loadState({ ...state, model: new Uint8Array(5) })).toThrow(RecurFormatError);
    a.dispose(); b.dispose();
  });

  it('detectSpeech is push() of the whole recording, and resamples other rates', async () => {
    const vad = await VoiceActivityDetector.create(model, KNOBS);
    const pushed = collect([vad.push(audio), vad.flush()]);
    const { probabilities, segments } = await detectSpeech(model, audio, KNOBS);
    expect(Array.from(probabilities)).toEqual(pushed.probabilities.map(Math.fround));
    expect(segments.map((s) => [s.start, s.end])).toEqual(pushed.events.filter((e) => e.type === 'end').map((e) => [(e as { start: number }).start, (e as { end: number }).end]));
    const at8k = readWav(readFileSync(new URL('../fixtures/audio/speech-mix-8k.wav', import.meta.url))).samples;
    const resampled = await detectSpeech(model, at8k, { ...KNOBS, inputSampleRate: 8000 });
    expect(resampled.segments.length).toBe(3);
    resampled.segments.forEach((s, i) => expect(Math.abs(s.end - segments[i].end)).toBeLessThan(200));
    vad.dispose();
  });

  it('refuses bad options and input with typed errors', async () => {
    await expect(VoiceActivityDetector.create(model, { positiveSpeechThreshold: 2 })).rejects.toThrow(RecurOptionError);
    await expect(VoiceActivityDetector.create(model, { sampleRate: 44100 })).rejects.toThrow(RecurOptionError);
    await expect(VoiceActivityDetector.create(new Uint8Array(10))).rejects.toThrow(RecurFormatError);
    const vad = await VoiceActivityDetector.create(model);
    expect(() => vad.push([1, 2, 3] as never)).toThrow(RecurShapeError);
    expect(() => vad.vad.process(new Float32Array(100))).toThrow(RecurShapeError);
    vad.dispose();
  });
});
