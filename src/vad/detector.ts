// Voice activity detection, streaming: PCM in chunks of any length → one speech probability per
// frame (Silero) → speech segments (SpeechSegmenter, vad-web's rules and knobs).
//
//   const vad = await VoiceActivityDetector.create(await fetch('silero_vad_v5.onnx'), { sampleRate: 16000 });
//   for (const chunk of microphone) for (const e of vad.push(chunk).events) if (e.type === 'end') …
//   vad.flush();                                   // at the end of the stream
//
// Or, for a whole recording: detectSpeech(model, samples, { sampleRate }) → probabilities and segments.

import { RecurFormatError, RecurOptionError, RecurShapeError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import { SpeechSegmenter, type SegmentEvent, type SegmenterOptions, type SegmenterState, type SpeechSegment } from './segmenter.js';
import { SileroVad, type ModelSource, type SileroOptions } from './silero.js';
import { resample } from './wav.js';

export type DetectorOptions = SileroOptions & Omit<SegmenterOptions, 'sampleRate' | 'frameSamples'>;

/** What push() and flush() return: the probability of each frame completed, and the segment events. */
export interface DetectorOutput {
  probabilities: number[];
  events: SegmentEvent[];
}

/** A detector's state between calls: structured-cloneable (IndexedDB, postMessage, Durable Object storage). */
export interface DetectorState {
  kind: 'recur.VoiceActivityDetector';
  version: 1;
  model: Uint8Array;
  segmenter: SegmenterState;
  /** Samples received that do not yet fill a frame. */
  pending: Float32Array;
}

export class VoiceActivityDetector {
  private readonly frame: Float32Array;
  private filled = 0;

  private constructor(readonly vad: SileroVad, readonly segmenter: SpeechSegmenter) {
    this.frame = new Float32Array(vad.frameSamples);
  }

  static async create(model: ModelSource, options: DetectorOptions = {}): Promise<VoiceActivityDetector> {
    const { sampleRate, frameSamples, context, runtime, maxBytes, ...knobs } = options;
    const segmenterOptions = { ...knobs, sampleRate: sampleRate ?? 16000 };
    new SpeechSegmenter(segmenterOptions);          // the knobs are checked before the model loads
    const vad = await SileroVad.load(model, { sampleRate, frameSamples, context, runtime, maxBytes });
    try {
      return new VoiceActivityDetector(vad, new SpeechSegmenter({ ...segmenterOptions, frameSamples: vad.frameSamples }));
    } catch (err) {
      vad.dispose();
      throw err;
    }
  }

  get sampleRate(): number { return this.vad.sampleRate; }
  get frameSamples(): number { return this.vad.frameSamples; }

  /** Takes the next samples (mono, in [-1, 1], at sampleRate); runs every frame they complete. */
  push(samples: Float32Array): DetectorOutput {
    if (!(samples instanceof Float32Array)) throw new RecurShapeError('VoiceActivityDetector.push: samples must be a Float32Array');
    const out: DetectorOutput = { probabilities: [], events: [] };
    const N = this.frame.length;
    for (let at = 0; at < samples.length;) {
      const take = Math.min(N - this.filled, samples.length - at);
      this.frame.set(samples.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === N) {
        this.filled = 0;
        const p = this.vad.process(this.frame);
        out.probabilities.push(p);
        for (const e of this.segmenter.push(p)) out.events.push(e);
      }
    }
    return out;
  }

  /** The end of the stream: the last partial frame (zero-padded) runs, and an open segment ends. */
  flush(): DetectorOutput {
    const out: DetectorOutput = { probabilities: [], events: [] };
    if (this.filled > 0) {
      this.frame.fill(0, this.filled);
      this.filled = 0;
      const p = this.vad.process(this.frame);
      out.probabilities.push(p);
      out.events.push(...this.segmenter.push(p));
    }
    out.events.push(...this.segmenter.flush());
    return out;
  }

  /** A new stream: zero model state, no segment, no pending samples. */
  reset(): void {
    this.vad.reset();
    this.segmenter.reset();
    this.filled = 0;
  }

  saveState(): DetectorState {
    return {
      kind: 'recur.VoiceActivityDetector', version: 1, model: this.vad.saveState(),
      segmenter: this.segmenter.saveState(), pending: this.frame.slice(0, this.filled),
    };
  }

  /** Restores saveState()'s object; a RecurFormatError (and no change) if it does not fit. */
  loadState(state: DetectorState): void {
    if (!state || state.kind !== 'recur.VoiceActivityDetector' || state.version !== 1) throw new RecurFormatError('VoiceActivityDetector.loadState: not a detector state of version 1');
    if (!(state.pending instanceof Float32Array) || state.pending.length >= this.frame.length) {
      throw new RecurFormatError(`VoiceActivityDetector.loadState: pending must be a Float32Array shorter than a frame (${this.frame.length})`);
    }
    const model = this.vad.saveState(), segmenter = this.segmenter.saveState();
    try {
      this.vad.loadState(state.model);
      this.segmenter.loadState(state.segmenter);
    } catch (err) {
      this.vad.loadState(model);
      this.segmenter.loadState(segmenter);
      throw err;
    }
    this.frame.set(state.pending);
    this.filled = state.pending.length;
  }

  dispose(): void { this.vad.dispose(); }
}

/**
 * Speech in a whole recording: the probability of every frame and the segments (samples at any
 * rate; resampled to 16 kHz, or 8 kHz with `sampleRate: 8000`, first).
 */
export async function detectSpeech(model: ModelSource, samples: Float32Array, options: DetectorOptions & { inputSampleRate?: number; runtime?: Runtime } = {}): Promise<{ probabilities: Float32Array; segments: SpeechSegment[] }> {
  const { inputSampleRate, ...rest } = options;
  const rate = rest.sampleRate ?? 16000;
  if (inputSampleRate !== undefined && !(Number.isFinite(inputSampleRate) && inputSampleRate > 0)) throw new RecurOptionError(`detectSpeech: inputSampleRate must be a positive number, got ${inputSampleRate}`);
  const audio = inputSampleRate && inputSampleRate !== rate ? resample(samples, inputSampleRate, rate) : samples;
  const detector = await VoiceActivityDetector.create(model, rest);
  try {
    const a = detector.push(audio), b = detector.flush();
    const segments = [...a.events, ...b.events].filter((e): e is Extract<SegmentEvent, { type: 'end' }> => e.type === 'end')
      .map(({ type: _type, ...segment }) => segment);
    return { probabilities: Float32Array.from([...a.probabilities, ...b.probabilities]), segments };
  } finally {
    detector.dispose();
  }
}
