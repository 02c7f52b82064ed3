// Speech segments from per-frame speech probabilities (the output of a VAD model such as Silero),
// streaming: one probability in, zero or more events out.
//
// The algorithm, the option names and their defaults are those of @ricky0123/vad-web's
// FrameProcessor (dist/frame-processor.js, vad-web 0.0.31), so a vad-web user can switch:
//
//   • a frame is speech when its probability is ≥ positiveSpeechThreshold;
//   • the first speech frame while not speaking starts a segment ('start', vad-web's onSpeechStart);
//   • once the segment holds minSpeechFrames speech frames, 'realStart' (onSpeechRealStart);
//   • while speaking, every frame with probability < negativeSpeechThreshold advances a redemption
//     counter and every speech frame resets it; frames in between do neither. When the counter
//     reaches redemptionFrames the segment ends on that frame;
//   • a segment with ≥ minSpeechFrames speech frames is an 'end' (onSpeechEnd), otherwise a
//     'misfire' (onVADMisfire);
//   • the audio vad-web hands to onSpeechEnd starts up to preSpeechPadFrames frames before the
//     first speech frame (never before the end of the previous segment or the start of the
//     stream) and runs through the frame that ended the segment. A segment's start/end here are
//     exactly that range, so audio.subarray(startSample, endSample) is vad-web's `audio`.
//
// Frame counts come from the ms options as vad-web computes them: floor(ms / msPerFrame), where
// msPerFrame = frameSamples · 1000 / sampleRate (32 ms for Silero v5/v6: 512 samples at 16 kHz;
// 96 ms for Silero legacy: 1536 samples at 16 kHz).
//
// Differences from vad-web, all at the edges: minSpeechMs shorter than one frame (minSpeechFrames
// 0) makes 'realStart' fire with 'start' (vad-web never fires it then); bad options throw
// RecurOptionError instead of logging; a non-finite probability throws RecurValueError.

import { RecurFormatError, RecurOptionError, RecurValueError } from '../errors.js';

/** What SpeechSegmenter and segmentsFromProbabilities take. Every field is optional. */
export interface SegmenterOptions {
  /** A frame whose probability is ≥ this is speech. In [0, 1]; default 0.3 (vad-web). */
  positiveSpeechThreshold?: number;
  /** While speaking, a frame whose probability is < this counts towards the end of the segment.
   *  In [0, positiveSpeechThreshold]; default 0.25 (vad-web). */
  negativeSpeechThreshold?: number;
  /** Milliseconds of frames below negativeSpeechThreshold (a speech frame restarts the count)
   *  that end a segment; floor(redemptionMs / msPerFrame) frames. Default 1400 (vad-web). */
  redemptionMs?: number;
  /** Milliseconds of audio before the first speech frame included in a segment;
   *  floor(preSpeechPadMs / msPerFrame) frames. Default 800 (vad-web). */
  preSpeechPadMs?: number;
  /** A segment with fewer than floor(minSpeechMs / msPerFrame) speech frames is a misfire, not a
   *  segment. Milliseconds; default 400 (vad-web). */
  minSpeechMs?: number;
  /** Sample rate of the audio the probabilities were computed on, in Hz. Default 16000. */
  sampleRate?: number;
  /** Samples per frame (one probability per frame). Default 512 (Silero v5/v6 at 16 kHz; use
   *  1536 for Silero legacy, 256 for v5 at 8 kHz). */
  frameSamples?: number;
}

/** SegmenterOptions with every default filled in. */
export type ResolvedSegmenterOptions = Required<SegmenterOptions>;

/** vad-web 0.0.31's defaultFrameProcessorOptions (the same for its v5, v6 and legacy models),
 *  with Silero v5's frame: 512 samples at 16 kHz. */
export const defaultSegmenterOptions: Readonly<ResolvedSegmenterOptions> = Object.freeze({
  positiveSpeechThreshold: 0.3,
  negativeSpeechThreshold: 0.25,
  redemptionMs: 1400,
  preSpeechPadMs: 800,
  minSpeechMs: 400,
  sampleRate: 16000,
  frameSamples: 512,
});

/** A span of audio. Times in ms from the start of the stream, sample offsets at the segmenter's
 *  sampleRate, frame indices counting pushed probabilities; every end is exclusive. */
export interface SpeechSegment {
  /** Start in ms, including the pre-speech pad. */
  start: number;
  /** End in ms (exclusive): the end of the frame that ended the segment. */
  end: number;
  /** Start in samples, including the pre-speech pad. */
  startSample: number;
  /** End in samples (exclusive). */
  endSample: number;
  /** Start in frames, including the pre-speech pad. */
  startFrame: number;
  /** End in frames (exclusive). */
  endFrame: number;
  /** Start of the first speech frame in ms, without the pad (vad-web NonRealTimeVAD's `start`). */
  speechStart: number;
  /** Start of the first speech frame in samples. */
  speechStartSample: number;
  /** Number of frames in the segment with probability ≥ positiveSpeechThreshold. */
  speechFrames: number;
}

export type SegmentEvent =
  /** The first speech frame of a segment (vad-web onSpeechStart). `at` in ms, `atSample` in
   *  samples, `frame` the frame's index. */
  | { type: 'start'; at: number; atSample: number; frame: number }
  /** The segment now holds minSpeechFrames speech frames, so it will not be a misfire (vad-web
   *  onSpeechRealStart). `at` is the start of the frame that got it there. */
  | { type: 'realStart'; at: number; atSample: number; frame: number }
  /** A segment ended (vad-web onSpeechEnd). */
  | ({ type: 'end' } & SpeechSegment)
  /** A segment ended with fewer than minSpeechFrames speech frames (vad-web onVADMisfire). */
  | ({ type: 'misfire' } & SpeechSegment);

/** The JSON snapshot of saveState(). */
export interface SegmenterState {
  kind: 'recur.SpeechSegmenter';
  version: 1;
  sampleRate: number;
  frameSamples: number;
  /** Frames pushed since construction or reset(). */
  frame: number;
  speaking: boolean;
  realStartFired: boolean;
  redemptionCounter: number;
  speechFrameCount: number;
  /** First frame of vad-web's audio buffer (the pad or the segment so far). */
  bufferStart: number;
  /** First speech frame of the current segment (−1 when not speaking). */
  speechStartFrame: number;
}

const KNOBS = ['positiveSpeechThreshold', 'negativeSpeechThreshold', 'redemptionMs', 'preSpeechPadMs', 'minSpeechMs'] as const;
const KNOWN = [...KNOBS, 'sampleRate', 'frameSamples'];
const RENAMED: Record<string, string> = {
  redemptionFrames: 'redemptionMs', preSpeechPadFrames: 'preSpeechPadMs', minSpeechFrames: 'minSpeechMs',
};

function resolveOptions(options: SegmenterOptions, base: Readonly<ResolvedSegmenterOptions>, baseIs = 'the default'): ResolvedSegmenterOptions {
  const where = 'SpeechSegmenter';
  if (options === null || typeof options !== 'object') {
    throw new RecurOptionError(`${where}: options must be an object, got ${JSON.stringify(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key in RENAMED) {
      throw new RecurOptionError(`${where}: ${key} is not an option; vad-web replaced it with ${RENAMED[key]} (milliseconds)`);
    }
    if (!KNOWN.includes(key)) {
      throw new RecurOptionError(`${where}: unknown option ${key}; known: ${KNOWN.join(', ')}`);
    }
  }
  const o = { ...base } as ResolvedSegmenterOptions;
  for (const key of KNOWN as (keyof ResolvedSegmenterOptions)[]) {
    const v = options[key];
    if (v !== undefined) o[key] = v;
  }
  const fmt = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v));
  const finite = (name: keyof ResolvedSegmenterOptions) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RecurOptionError(`${where}: ${name} must be a finite number, got ${fmt(v)}`);
    }
    return v;
  };
  const pos = finite('positiveSpeechThreshold');
  if (pos < 0 || pos > 1) throw new RecurOptionError(`${where}: positiveSpeechThreshold must be in [0, 1], got ${pos}`);
  const neg = finite('negativeSpeechThreshold');
  if (neg < 0 || neg > pos) {
    const given = options.negativeSpeechThreshold === undefined ? ` (${baseIs})` : '';
    throw new RecurOptionError(`${where}: negativeSpeechThreshold must be in [0, positiveSpeechThreshold = ${pos}], got ${neg}${given}`);
  }
  for (const name of ['redemptionMs', 'preSpeechPadMs', 'minSpeechMs'] as const) {
    if (finite(name) < 0) throw new RecurOptionError(`${where}: ${name} must be ≥ 0 (milliseconds), got ${o[name]}`);
  }
  for (const name of ['sampleRate', 'frameSamples'] as const) {
    const v = finite(name);
    if (!Number.isInteger(v) || v < 1) throw new RecurOptionError(`${where}: ${name} must be a positive integer, got ${v}`);
  }
  return o;
}

/** floor(ms / msPerFrame), as vad-web's calculateFrameParams (exact for whole ms). */
function framesOf(ms: number, o: ResolvedSegmenterOptions): number {
  return Math.floor((ms * o.sampleRate) / (1000 * o.frameSamples));
}

/**
 * Streaming speech segmentation with vad-web's FrameProcessor semantics. Push one speech
 * probability per frame of `frameSamples` samples; each push returns the events that frame
 * caused (usually none). Call flush() at the end of the stream to close an open segment.
 */
export class SpeechSegmenter {
  #o!: ResolvedSegmenterOptions;
  #redemptionFrames = 0;
  #preSpeechPadFrames = 0;
  #minSpeechFrames = 0;

  #frame = 0;
  #speaking = false;
  #realStartFired = false;
  #redemptionCounter = 0;
  #speechFrameCount = 0;
  #bufferStart = 0;
  #speechStartFrame = -1;

  constructor(options: SegmenterOptions = {}) {
    this.#setResolved(resolveOptions(options, defaultSegmenterOptions));
  }

  #setResolved(o: ResolvedSegmenterOptions): void {
    this.#o = Object.freeze(o) as ResolvedSegmenterOptions;
    this.#redemptionFrames = framesOf(o.redemptionMs, o);
    this.#preSpeechPadFrames = framesOf(o.preSpeechPadMs, o);
    this.#minSpeechFrames = framesOf(o.minSpeechMs, o);
  }

  /** The options in use, defaults filled in. */
  get options(): Readonly<ResolvedSegmenterOptions> { return this.#o; }
  /** Duration of one frame in ms (frameSamples · 1000 / sampleRate). */
  get msPerFrame(): number { return (this.#o.frameSamples * 1000) / this.#o.sampleRate; }
  /** redemptionMs in frames. */
  get redemptionFrames(): number { return this.#redemptionFrames; }
  /** preSpeechPadMs in frames. */
  get preSpeechPadFrames(): number { return this.#preSpeechPadFrames; }
  /** minSpeechMs in frames. */
  get minSpeechFrames(): number { return this.#minSpeechFrames; }
  /** Frames (probabilities) pushed since construction or reset(). */
  get frame(): number { return this.#frame; }
  /** Whether a segment is open. */
  get speaking(): boolean { return this.#speaking; }

  /** Changes the thresholds and ms knobs mid-stream, like vad-web's setOptions. The frame
   *  (sampleRate, frameSamples) cannot change: it is the stream's clock. */
  setOptions(update: Omit<SegmenterOptions, 'sampleRate' | 'frameSamples'>): void {
    for (const key of ['sampleRate', 'frameSamples'] as const) {
      if (update && (update as SegmenterOptions)[key] !== undefined && (update as SegmenterOptions)[key] !== this.#o[key]) {
        throw new RecurOptionError(`SpeechSegmenter: ${key} cannot change mid-stream (create a new segmenter)`);
      }
    }
    this.#setResolved(resolveOptions(update, this.#o, 'the current value'));
  }

  /** Takes the speech probability of the next frame; returns the events it causes, in order. */
  push(probability: number): SegmentEvent[] {
    if (typeof probability !== 'number' || !Number.isFinite(probability)) {
      throw new RecurValueError(`SpeechSegmenter.push: probability of frame ${this.#frame} must be a finite number, got ${String(probability)}`);
    }
    const events: SegmentEvent[] = [];
    const i = this.#frame;
    const o = this.#o;
    const isSpeech = probability >= o.positiveSpeechThreshold;
    if (isSpeech) {
      this.#speechFrameCount++;
      this.#redemptionCounter = 0;
    }
    if (isSpeech && !this.#speaking) {
      this.#speaking = true;
      this.#speechStartFrame = i;
      events.push({ type: 'start', at: this.#ms(i), atSample: i * o.frameSamples, frame: i });
    }
    if (this.#speaking && !this.#realStartFired && this.#speechFrameCount >= this.#minSpeechFrames) {
      this.#realStartFired = true;
      events.push({ type: 'realStart', at: this.#ms(i), atSample: i * o.frameSamples, frame: i });
    }
    if (probability < o.negativeSpeechThreshold && this.#speaking && ++this.#redemptionCounter >= this.#redemptionFrames) {
      events.push(this.#close(i + 1));
    }
    if (!this.#speaking) {
      this.#bufferStart = Math.max(this.#bufferStart, i + 1 - this.#preSpeechPadFrames);
      this.#speechFrameCount = 0;
    }
    this.#frame = i + 1;
    return events;
  }

  /** Ends the stream (vad-web's endSegment): an open segment ends at the end of the last frame
   *  pushed, as an 'end' or a 'misfire'. The clock keeps running, so pushing more frames
   *  continues the same timeline; call reset() to start a new stream at 0. */
  flush(): SegmentEvent[] {
    const events: SegmentEvent[] = [];
    if (this.#speaking) events.push(this.#close(this.#frame));
    this.#bufferStart = this.#frame;
    this.#speechFrameCount = 0;
    this.#redemptionCounter = 0;
    return events;
  }

  /** Forgets everything, open segment included (no event), and restarts the clock at 0. */
  reset(): void {
    this.#frame = 0;
    this.#speaking = false;
    this.#realStartFired = false;
    this.#redemptionCounter = 0;
    this.#speechFrameCount = 0;
    this.#bufferStart = 0;
    this.#speechStartFrame = -1;
  }

  /** The state as plain JSON (options not included: construct with the same ones). */
  saveState(): SegmenterState {
    return {
      kind: 'recur.SpeechSegmenter',
      version: 1,
      sampleRate: this.#o.sampleRate,
      frameSamples: this.#o.frameSamples,
      frame: this.#frame,
      speaking: this.#speaking,
      realStartFired: this.#realStartFired,
      redemptionCounter: this.#redemptionCounter,
      speechFrameCount: this.#speechFrameCount,
      bufferStart: this.#bufferStart,
      speechStartFrame: this.#speechStartFrame,
    };
  }

  /** Restores a saveState() snapshot (or its JSON.parse'd text). Throws RecurFormatError if it is
   *  malformed or was taken with another sampleRate or frameSamples; then nothing changes. */
  loadState(state: unknown): void {
    const bad = (why: string): never => { throw new RecurFormatError(`SpeechSegmenter.loadState: ${why}`); };
    if (state === null || typeof state !== 'object') bad('state must be an object from saveState()');
    const s = state as Record<string, unknown>;
    if (s.kind !== 'recur.SpeechSegmenter') bad(`not a SpeechSegmenter state (kind ${JSON.stringify(s.kind)})`);
    if (s.version !== 1) bad(`state version ${JSON.stringify(s.version)} is not supported (this recur reads version 1)`);
    const int = (name: string, min: number): number => {
      const v = s[name];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
      return v as number;
    };
    const bool = (name: string): boolean => {
      if (typeof s[name] !== 'boolean') bad(`${name} must be true or false, got ${JSON.stringify(s[name])}`);
      return s[name] as boolean;
    };
    for (const key of ['sampleRate', 'frameSamples'] as const) {
      if (int(key, 1) !== this.#o[key]) bad(`state was saved with ${key} ${s[key]}, this segmenter has ${this.#o[key]}`);
    }
    const frame = int('frame', 0);
    const speaking = bool('speaking');
    const realStartFired = bool('realStartFired');
    const redemptionCounter = int('redemptionCounter', 0);
    const speechFrameCount = int('speechFrameCount', 0);
    const bufferStart = int('bufferStart', 0);
    const speechStartFrame = int('speechStartFrame', -1);
    if (bufferStart > frame) bad(`bufferStart ${bufferStart} is after frame ${frame}`);
    if (speaking) {
      if (speechStartFrame < bufferStart || speechStartFrame >= frame) bad(`speechStartFrame ${speechStartFrame} is not in [bufferStart, frame)`);
      if (speechFrameCount < 1 || speechFrameCount > frame - speechStartFrame) bad(`speechFrameCount ${speechFrameCount} does not fit the open segment`);
    } else if (speechFrameCount !== 0 || redemptionCounter !== 0 || realStartFired) {
      bad('a state that is not speaking has no speech frames, redemption count or real start');
    }
    this.#frame = frame;
    this.#speaking = speaking;
    this.#realStartFired = realStartFired;
    this.#redemptionCounter = redemptionCounter;
    this.#speechFrameCount = speechFrameCount;
    this.#bufferStart = bufferStart;
    this.#speechStartFrame = speaking ? speechStartFrame : -1;
  }

  #ms(frame: number): number {
    return (frame * this.#o.frameSamples * 1000) / this.#o.sampleRate;
  }

  /** Ends the open segment at frame `end` (exclusive). */
  #close(end: number): SegmentEvent {
    const o = this.#o;
    const start = this.#bufferStart;
    const segment: SpeechSegment = {
      start: this.#ms(start),
      end: this.#ms(end),
      startSample: start * o.frameSamples,
      endSample: end * o.frameSamples,
      startFrame: start,
      endFrame: end,
      speechStart: this.#ms(this.#speechStartFrame),
      speechStartSample: this.#speechStartFrame * o.frameSamples,
      speechFrames: this.#speechFrameCount,
    };
    const type = this.#speechFrameCount >= this.#minSpeechFrames ? 'end' : 'misfire';
    this.#speaking = false;
    this.#realStartFired = false;
    this.#redemptionCounter = 0;
    this.#speechFrameCount = 0;
    this.#bufferStart = end;
    this.#speechStartFrame = -1;
    return { type, ...segment };
  }
}

/** The speech segments (not the misfires) of a whole sequence of per-frame probabilities, the
 *  last one closed at the end of the sequence. Times in ms, offsets in samples at sampleRate. */
export function segmentsFromProbabilities(probabilities: ArrayLike<number>, options: SegmenterOptions = {}): SpeechSegment[] {
  const segmenter = new SpeechSegmenter(options);
  const segments: SpeechSegment[] = [];
  const take = (events: SegmentEvent[]) => {
    for (const e of events) if (e.type === 'end') { const { type: _type, ...segment } = e; segments.push(segment); }
  };
  for (let i = 0; i < probabilities.length; i++) take(segmenter.push(probabilities[i]));
  take(segmenter.flush());
  return segments;
}
