// SpeechSegmenter: vad-web FrameProcessor semantics on hand-made probability sequences (start/end,
// redemption, pre-speech pad, misfires, flush), equivalence with a transcription of vad-web's
// FrameProcessor.process on random sequences, state snapshots, and option validation.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecurFormatError, RecurOptionError, RecurValueError } from '../../src/errors.js';
import {
  defaultSegmenterOptions, segmentsFromProbabilities, SpeechSegmenter,
  type SegmentEvent, type SegmenterOptions,
} from '../../src/vad/segmenter.js';

// 512 samples at 16 kHz: 32 ms frames. 3 frames of redemption, 2 of pad, 3 speech frames minimum.
const SMALL: SegmenterOptions = {
  positiveSpeechThreshold: 0.5, negativeSpeechThreshold: 0.35, redemptionMs: 96, preSpeechPadMs: 64, minSpeechMs: 96,
};

function run(probs: number[], options: SegmenterOptions = SMALL, flush = true): SegmentEvent[] {
  const s = new SpeechSegmenter(options);
  const events = probs.flatMap((p) => s.push(p));
  return flush ? [...events, ...s.flush()] : events;
}

const H = 0.9, L = 0.1, M = 0.4;   // speech, silence, in between the thresholds

describe('defaults', () => {
  it('are vad-web 0.0.31 defaultFrameProcessorOptions with a Silero v5 frame', () => {
    expect(defaultSegmenterOptions).toEqual({
      positiveSpeechThreshold: 0.3, negativeSpeechThreshold: 0.25, redemptionMs: 1400, preSpeechPadMs: 800, minSpeechMs: 400,
      sampleRate: 16000, frameSamples: 512,
    });
    const v5 = new SpeechSegmenter();
    expect(v5.msPerFrame).toBe(32);
    expect([v5.redemptionFrames, v5.preSpeechPadFrames, v5.minSpeechFrames]).toEqual([43, 25, 12]);   // floor(ms / 32)
    const legacy = new SpeechSegmenter({ frameSamples: 1536 });
    expect(legacy.msPerFrame).toBe(96);
    expect([legacy.redemptionFrames, legacy.preSpeechPadFrames, legacy.minSpeechFrames]).toEqual([14, 8, 4]);
    const v5at8k = new SpeechSegmenter({ sampleRate: 8000, frameSamples: 256 });
    expect([v5at8k.redemptionFrames, v5at8k.preSpeechPadFrames, v5at8k.minSpeechFrames]).toEqual([43, 25, 12]);
  });
});

describe('segments', () => {
  it('start, realStart and end, with times in ms, samples and frames', () => {
    const s = new SpeechSegmenter(SMALL);
    const per = [L, L, L, H, H, H, H, L, L, L, L, L].map((p) => s.push(p));
    expect(per.map((e) => e.map((x) => x.type))).toEqual([
      [], [], [], ['start'], [], ['realStart'], [], [], [], ['end'], [], [],
    ]);
    expect(per[3][0]).toEqual({ type: 'start', at: 96, atSample: 1536, frame: 3 });
    expect(per[5][0]).toEqual({ type: 'realStart', at: 160, atSample: 2560, frame: 5 });
    // Pad of 2 frames before frame 3; ends after the third frame below the negative threshold (9).
    expect(per[9][0]).toEqual({
      type: 'end', start: 32, end: 320, startSample: 512, endSample: 5120, startFrame: 1, endFrame: 10,
      speechStart: 96, speechStartSample: 1536, speechFrames: 4,
    });
    expect(s.speaking).toBe(false);
    expect(s.flush()).toEqual([]);
  });

  it('redemption: dips shorter than redemptionFrames are bridged; frames between the thresholds neither count nor reset', () => {
    // Two dips of 2 frames: one segment.
    const bridged = segmentsFromProbabilities([H, H, H, L, L, H, H, L, L, H, L, L, L, L], SMALL);
    expect(bridged.map((g) => [g.startFrame, g.endFrame, g.speechFrames])).toEqual([[0, 13, 6]]);
    // A dip of 3: two segments.
    const split = segmentsFromProbabilities([H, H, H, L, L, L, H, H, H, L, L, L], SMALL);
    expect(split.map((g) => [g.startFrame, g.endFrame])).toEqual([[0, 6], [6, 12]]);
    // L M L M L: the M frames (0.4, between 0.35 and 0.5) do not reset the count, so the third L ends it.
    const mid = segmentsFromProbabilities([H, H, H, L, M, L, M, L, L, L], SMALL);
    expect(mid.map((g) => [g.startFrame, g.endFrame])).toEqual([[0, 8]]);
    // Only M frames after speech: the segment never ends on its own, flush closes it.
    expect(segmentsFromProbabilities([H, H, H, M, M, M, M, M], SMALL).map((g) => g.endFrame)).toEqual([8]);
  });

  it('a probability exactly at positiveSpeechThreshold is speech; exactly at negativeSpeechThreshold is not silence', () => {
    expect(segmentsFromProbabilities([0.5, 0.5, 0.5, 0.35, 0.35, 0.35], SMALL).map((g) => g.endFrame)).toEqual([6]);
    const ev = run([0.5, 0.5, 0.5, 0.35, 0.35, 0.35], SMALL, false);
    expect(ev.map((e) => e.type)).toEqual(['start', 'realStart']);   // no end: 0.35 is not < 0.35
  });

  it('pre-speech pad: up to preSpeechPadFrames, not before the stream or the previous segment', () => {
    const far = segmentsFromProbabilities([L, L, L, L, L, H, H, H, L, L, L], SMALL);
    expect(far[0]).toMatchObject({ startFrame: 3, speechStart: 160, start: 96 });
    const atStart = segmentsFromProbabilities([L, H, H, H, L, L, L], SMALL);
    expect(atStart[0]).toMatchObject({ startFrame: 0, start: 0, speechStart: 32 });
    // Second segment right after the first: its pad starts at the first one's end (frame 6).
    const back = segmentsFromProbabilities([H, H, H, L, L, L, L, H, H, H, L, L, L], SMALL);
    expect(back.map((g) => [g.startFrame, g.endFrame])).toEqual([[0, 6], [6, 13]]);
    const noPad = segmentsFromProbabilities([L, L, L, H, H, H, L, L, L], { ...SMALL, preSpeechPadMs: 0 });
    expect(noPad[0].startFrame).toBe(3);
    // Pad of 63 ms is floor(63 / 32) = 1 frame.
    expect(segmentsFromProbabilities([L, L, L, H, H, H, L, L, L], { ...SMALL, preSpeechPadMs: 63 })[0].startFrame).toBe(2);
  });

  it('misfire: fewer than minSpeechFrames speech frames', () => {
    const ev = run([L, H, H, L, L, L, L, H, H, H, L, L, L]);
    expect(ev.map((e) => e.type)).toEqual(['start', 'misfire', 'start', 'realStart', 'end']);
    expect(ev[1]).toMatchObject({ type: 'misfire', startFrame: 0, endFrame: 6, speechFrames: 2 });
    // Speech frames are counted, not the span: H L H L H has 3 speech frames within a 5-frame span.
    expect(run([H, L, H, L, H, L, L, L]).map((e) => e.type)).toEqual(['start', 'realStart', 'end']);
    expect(segmentsFromProbabilities([L, H, H, L, L, L, L], SMALL)).toEqual([]);
  });

  it('flush closes an open segment at the end of the last frame, as end or misfire, and the clock goes on', () => {
    const s = new SpeechSegmenter(SMALL);
    [L, L, H, H, H, H, L].forEach((p) => s.push(p));
    expect(s.flush()).toEqual([{
      type: 'end', start: 0, end: 224, startSample: 0, endSample: 3584, startFrame: 0, endFrame: 7,
      speechStart: 64, speechStartSample: 1024, speechFrames: 4,
    }]);
    expect(s.flush()).toEqual([]);
    expect(s.frame).toBe(7);
    // Flush also drops the pad (vad-web's endSegment empties its buffer).
    s.push(L); s.push(H); s.push(H);
    expect(s.flush()).toEqual([expect.objectContaining({ type: 'misfire', startFrame: 7, endFrame: 10, speechStart: 256 })]);
    s.reset();
    expect(s.frame).toBe(0);
    expect(s.push(H)).toEqual([{ type: 'start', at: 0, atSample: 0, frame: 0 }]);
  });

  it('reset drops an open segment without an event', () => {
    const s = new SpeechSegmenter(SMALL);
    [H, H, H, H].forEach((p) => s.push(p));
    s.reset();
    expect(s.speaking).toBe(false);
    expect(s.flush()).toEqual([]);
  });

  it('redemptionMs 0 ends a segment on the first silent frame; minSpeechMs 0 fires realStart with start', () => {
    const ev = run([H, L, L], { ...SMALL, redemptionMs: 0, minSpeechMs: 0 });
    expect(ev.map((e) => [e.type, 'frame' in e ? e.frame : e.endFrame])).toEqual([['start', 0], ['realStart', 0], ['end', 2]]);
  });

  it('uses sampleRate and frameSamples for times', () => {
    const [g] = segmentsFromProbabilities([L, L, H, H, H, H, L, L, L], { ...SMALL, sampleRate: 8000, frameSamples: 256, preSpeechPadMs: 32 });
    expect(g).toMatchObject({ startFrame: 1, start: 32, startSample: 256, endFrame: 9, end: 288, endSample: 2304, speechStart: 64 });
    const [h] = segmentsFromProbabilities([H, H, H, H, H, L, L], { ...SMALL, frameSamples: 1536, minSpeechMs: 300, redemptionMs: 200 });
    expect(h).toMatchObject({ start: 0, end: 672, endSample: 7 * 1536 });
  });

  it('setOptions changes the knobs mid-stream, not the frame', () => {
    const s = new SpeechSegmenter(SMALL);
    [H, H, H].forEach((p) => s.push(p));
    s.setOptions({ redemptionMs: 32 });
    expect(s.redemptionFrames).toBe(1);
    expect(s.push(L).map((e) => e.type)).toEqual(['end']);
    expect(() => s.setOptions({ sampleRate: 8000 } as SegmenterOptions)).toThrow(RecurOptionError);
    expect(() => s.setOptions({ negativeSpeechThreshold: 0.6 })).toThrow(/negativeSpeechThreshold/);
    expect(s.options.negativeSpeechThreshold).toBe(0.35);   // unchanged after the error
  });
});

// A transcription of vad-web 0.0.31 dist/frame-processor.js (FrameProcessor.process and
// endSegment), with each frame's audio replaced by its index, so the audio of a SpeechEnd is the
// list of frames it spans.
function vadWebReference(probs: number[], o: Required<SegmenterOptions>) {
  const msPerFrame = o.frameSamples / (o.sampleRate / 1000);
  const redemptionFrames = Math.floor(o.redemptionMs / msPerFrame);
  const preSpeechPadFrames = Math.floor(o.preSpeechPadMs / msPerFrame);
  const minSpeechFrames = Math.floor(o.minSpeechMs / msPerFrame);
  let speaking = false, redemptionCounter = 0, speechFrameCount = 0, speechRealStartFired = false;
  let audioBuffer: { frame: number; isSpeech: boolean }[] = [];
  const out: (string | [string, number, number])[] = [];
  const finish = (buffer: typeof audioBuffer) => {
    const count = buffer.reduce((acc, item) => (item.isSpeech ? acc + 1 : acc), 0);
    out.push(count >= minSpeechFrames ? ['end', buffer[0].frame, buffer.at(-1)!.frame + 1] : 'misfire');
  };
  probs.forEach((p, frame) => {
    const isSpeech = p >= o.positiveSpeechThreshold;
    audioBuffer.push({ frame, isSpeech });
    if (isSpeech) { speechFrameCount++; redemptionCounter = 0; }
    if (isSpeech && !speaking) { speaking = true; out.push('start'); }
    if (speaking && speechFrameCount === minSpeechFrames && !speechRealStartFired) { speechRealStartFired = true; out.push('realStart'); }
    if (p < o.negativeSpeechThreshold && speaking && ++redemptionCounter >= redemptionFrames) {
      redemptionCounter = 0; speechFrameCount = 0; speaking = false; speechRealStartFired = false;
      const buffer = audioBuffer;
      audioBuffer = [];
      finish(buffer);
    }
    if (!speaking) {
      while (audioBuffer.length > preSpeechPadFrames) audioBuffer.shift();
      speechFrameCount = 0;
    }
  });
  if (speaking) finish(audioBuffer);   // endSegment
  return out;
}

const simplify = (events: SegmentEvent[]) => events.map((e) =>
  (e.type === 'end' ? ['end', e.startFrame, e.endFrame] as [string, number, number] : e.type));

describe('same events as vad-web FrameProcessor', () => {
  it('on random probability sequences and options', () => {
    const probability = fc.oneof(
      fc.constantFrom(0, 0.1, 0.25, 0.3, 0.35, 0.5, 0.9, 1),
      fc.double({ min: 0, max: 1, noNaN: true }),
    );
    fc.assert(fc.property(
      fc.array(probability, { maxLength: 120 }),
      fc.record({
        positiveSpeechThreshold: fc.constantFrom(0.3, 0.5, 0.8),
        gap: fc.constantFrom(0, 0.05, 0.15),
        redemptionMs: fc.integer({ min: 0, max: 400 }),
        preSpeechPadMs: fc.integer({ min: 0, max: 400 }),
        minSpeechMs: fc.integer({ min: 96, max: 400 }),    // ≥ 1 frame of either size (see the minSpeechMs 0 test)
        frameSamples: fc.constantFrom(512, 1536),
      }),
      (probs, { gap, ...rest }) => {
        const o = {
          ...defaultSegmenterOptions, ...rest, negativeSpeechThreshold: rest.positiveSpeechThreshold - gap,
        };
        expect(simplify(run(probs, o))).toEqual(vadWebReference(probs, o));
      },
    ), { numRuns: 500 });
  });
});

describe('saveState / loadState', () => {
  it('a snapshot taken mid-speech, through JSON, gives the same later events', () => {
    const probs = [L, L, L, H, H, L, H, H, L, L, H, L, L, L, L, H, L, H, H, H, H, L, L, L];
    const whole = new SpeechSegmenter(SMALL);
    const expected = probs.map((p) => whole.push(p));
    for (let cut = 0; cut <= probs.length; cut++) {
      const a = new SpeechSegmenter(SMALL);
      probs.slice(0, cut).forEach((p) => a.push(p));
      const json = JSON.stringify(a.saveState());
      const b = new SpeechSegmenter(SMALL);
      b.push(H);   // some unrelated state, overwritten by loadState
      b.loadState(JSON.parse(json));
      expect(b.saveState()).toEqual(a.saveState());
      expect(probs.slice(cut).map((p) => b.push(p))).toEqual(expected.slice(cut));
      probs.slice(cut).forEach((p) => a.push(p));
      expect(b.flush()).toEqual(a.flush());
    }
  });

  it('round-trips at random cut points of random sequences', () => {
    fc.assert(fc.property(
      fc.array(fc.constantFrom(L, M, H, 0.3, 0.6), { maxLength: 80 }), fc.nat(),
      (probs, c) => {
        const cut = probs.length ? c % (probs.length + 1) : 0;
        const a = new SpeechSegmenter(SMALL);
        const before = probs.slice(0, cut).flatMap((p) => a.push(p));
        const b = new SpeechSegmenter(SMALL);
        b.loadState(JSON.parse(JSON.stringify(a.saveState())));
        const after = [...probs.slice(cut).flatMap((p) => b.push(p)), ...b.flush()];
        expect([...before, ...after]).toEqual(run(probs));
      },
    ), { numRuns: 300 });
  });

  it('rejects malformed snapshots and snapshots of another frame with RecurFormatError, changing nothing', () => {
    const a = new SpeechSegmenter(SMALL);
    [L, H, H].forEach((p) => a.push(p));
    const good = a.saveState();
    const b = new SpeechSegmenter(SMALL);
    const bad: [unknown, RegExp][] = [
      [null, /object/],
      ['{}', /object/],
      [{ ...good, kind: 'x' }, /kind/],
      [{ ...good, version: 2 }, /version 2/],
      [{ ...good, frame: -1 }, /frame/],
      [{ ...good, frame: 1.5 }, /frame/],
      [{ ...good, speaking: 'yes' }, /speaking/],
      [{ ...good, bufferStart: 10 }, /bufferStart/],
      [{ ...good, speechStartFrame: 5 }, /speechStartFrame/],
      [{ ...good, speechFrameCount: 0 }, /speechFrameCount/],
      [{ ...good, speaking: false }, /not speaking/],
      [{ ...good, frameSamples: 1536 }, /frameSamples 1536/],
      [{ ...good, sampleRate: 8000 }, /sampleRate 8000/],
    ];
    for (const [state, message] of bad) {
      expect(() => b.loadState(state)).toThrow(RecurFormatError);
      expect(() => b.loadState(state)).toThrow(message);
    }
    expect(b.frame).toBe(0);
    expect(b.speaking).toBe(false);
  });
});

describe('option validation', () => {
  const cases: [SegmenterOptions | Record<string, unknown>, RegExp][] = [
    [{ positiveSpeechThreshold: NaN }, /positiveSpeechThreshold must be a finite number, got NaN/],
    [{ positiveSpeechThreshold: 1.5 }, /positiveSpeechThreshold must be in \[0, 1\], got 1.5/],
    [{ positiveSpeechThreshold: -0.1 }, /positiveSpeechThreshold/],
    [{ negativeSpeechThreshold: -0.1 }, /negativeSpeechThreshold/],
    [{ positiveSpeechThreshold: 0.5, negativeSpeechThreshold: 0.6 }, /negativeSpeechThreshold must be in \[0, positiveSpeechThreshold = 0.5\], got 0.6/],
    [{ positiveSpeechThreshold: 0.2 }, /negativeSpeechThreshold .* got 0.25 \(the default\)/],
    [{ redemptionMs: -1 }, /redemptionMs must be ≥ 0 \(milliseconds\), got -1/],
    [{ preSpeechPadMs: NaN }, /preSpeechPadMs must be a finite number/],
    [{ minSpeechMs: Infinity }, /minSpeechMs must be a finite number, got Infinity/],
    [{ minSpeechMs: '400' }, /minSpeechMs must be a finite number, got "400"/],
    [{ sampleRate: 0 }, /sampleRate must be a positive integer, got 0/],
    [{ frameSamples: 512.5 }, /frameSamples must be a positive integer/],
    [{ redemptionFrames: 8 }, /redemptionFrames is not an option; vad-web replaced it with redemptionMs/],
    [{ minSpeechFrame: 3 }, /unknown option minSpeechFrame/],
  ];
  it.each(cases)('%o', (options, message) => {
    expect(() => new SpeechSegmenter(options as SegmenterOptions)).toThrow(RecurOptionError);
    expect(() => new SpeechSegmenter(options as SegmenterOptions)).toThrow(message);
    expect(() => segmentsFromProbabilities([], options as SegmenterOptions)).toThrow(RecurOptionError);
  });

  it('accepts the edges: thresholds 0 and 1, equal thresholds, all knobs 0', () => {
    expect(() => new SpeechSegmenter({ positiveSpeechThreshold: 1, negativeSpeechThreshold: 1 })).not.toThrow();
    expect(() => new SpeechSegmenter({ positiveSpeechThreshold: 0, negativeSpeechThreshold: 0, redemptionMs: 0, preSpeechPadMs: 0, minSpeechMs: 0 })).not.toThrow();
  });

  it('a non-finite probability is a RecurValueError naming the frame', () => {
    const s = new SpeechSegmenter();
    s.push(0.1);
    expect(() => s.push(NaN)).toThrow(RecurValueError);
    expect(() => s.push(NaN)).toThrow(/frame 1 .* got NaN/);
    expect(() => s.push('0.5' as unknown as number)).toThrow(RecurValueError);
  });
});
