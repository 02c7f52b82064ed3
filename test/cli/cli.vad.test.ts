// recur vad: speech segments in the speech-mix fixtures (three sentences between silence and
// noise; test/fixtures/audio/speech-mix.json says where) with Silero v5, at 16 kHz and from the
// 8 kHz file resampled; --json and --probabilities; each segment written as soon as it ends; and
// the errors: a truncated WAV, a model that is not Silero, a bad knob (exit 1), usage (exit 2).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { VoiceActivityDetector, readWav } from '../../src/vad/for-node.js';
import { ensureBuilt, expectOneLineError, recur, root, tempDir } from './helpers.js';

const MODEL = join(root, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');
const WAV16 = join(root, 'test/fixtures/audio/speech-mix-16k.wav');
const WAV8 = join(root, 'test/fixtures/audio/speech-mix-8k.wav');
const layout = JSON.parse(readFileSync(join(root, 'test/fixtures/audio/speech-mix.json'), 'utf8'));
const sentences: { start: number; end: number }[] = layout.speech.map((s: { start: number; end: number }) => ({ start: s.start / 1000, end: s.end / 1000 }));
const tmp = tempDir();

beforeAll(ensureBuilt, 120_000);
afterAll(() => tmp.cleanup());

/** "start end" lines → [start, end] in seconds. */
const segments = (stdout: string) => stdout.trim().split('\n').map((l) => {
  expect(l).toMatch(/^\d+\.\d{3} \d+\.\d{3}$/);
  return l.split(' ').map(Number) as [number, number];
});

describe('recur vad', () => {
  let at16: [number, number][];

  it('16 kHz: three segments, one over each sentence', async () => {
    const r = await recur(['vad', WAV16, '--model', MODEL, '--redemption-ms', '1000']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    at16 = segments(r.stdout);
    expect(at16).toHaveLength(3);
    at16.forEach(([start, end], i) => {
      expect(start).toBeLessThan(end);
      expect(start).toBeLessThan(sentences[i].end);      // overlaps sentence i
      expect(end).toBeGreaterThan(sentences[i].start);
      if (i > 0) expect(start).toBeGreaterThanOrEqual(at16[i - 1][1]);
    });
    expect(at16[2][1]).toBeLessThanOrEqual(layout.durationMs / 1000);
  });

  it('8 kHz, resampled to 16 kHz: the same segments within 0.2 s', async () => {
    const r = await recur(['vad', WAV8, '--model', MODEL, '--redemption-ms', '1000']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`note: ${WAV8}: resampled from 8000 Hz to 16000 Hz\n`);
    const at8 = segments(r.stdout);
    expect(at8).toHaveLength(3);
    at8.forEach(([start, end], i) => {
      expect(Math.abs(start - at16[i][0])).toBeLessThan(0.2);
      expect(Math.abs(end - at16[i][1])).toBeLessThan(0.2);
    });
  });

  it('--sample-rate 8000 runs the model at 8 kHz on the 8 kHz file, unresampled', async () => {
    const r = await recur(['vad', WAV8, '--model', MODEL, '--redemption-ms', '1000', '--sample-rate', '8000']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const at8 = segments(r.stdout);
    expect(at8).toHaveLength(3);
    at8.forEach(([start, end], i) => expect(start < sentences[i].end && end > sentences[i].start).toBe(true));
  });

  it('--json: one object per line with start, end, speechStart and speechFrames; the text output\'s times', async () => {
    const r = await recur(['vad', WAV16, '--model', MODEL, '--redemption-ms', '1000', '--json']);
    expect(r.code).toBe(0);
    const objects = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects.map((o) => [o.start, o.end])).toEqual(at16);
    for (const o of objects) {
      expect(Object.keys(o)).toEqual(['start', 'end', 'speechStart', 'speechFrames']);
      expect(o.speechStart).toBeGreaterThanOrEqual(o.start);
      expect(o.speechFrames).toBeGreaterThanOrEqual(Math.floor(400 / 32));   // --min-speech-ms 400
    }
  });

  it('--probabilities: CSV time_s,probability, one row per 32 ms frame; with --json, frames and segments', async () => {
    const frames = Math.ceil(layout.samples / 512);
    const r = await recur(['vad', WAV16, '--model', MODEL, '--probabilities']);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header).toBe('time_s,probability');
    expect(rows).toHaveLength(frames);
    rows.forEach((row, i) => {
      const [time, p] = row.split(',').map(Number);
      expect(time).toBeCloseTo(i * 0.032, 6);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    });
    const speech = rows.map((row) => Number(row.split(',')[1]));
    const at = (t: number) => speech[Math.floor(t / 0.032)];
    for (const s of sentences) expect(Math.max(...speech.slice(Math.floor(s.start / 0.032), Math.floor(s.end / 0.032)))).toBeGreaterThan(0.9);
    expect(at(0.5)).toBeLessThan(0.1);                                   // the silence before the first sentence

    const j = await recur(['vad', WAV16, '--model', MODEL, '--probabilities', '--json', '--redemption-ms', '1000']);
    expect(j.code).toBe(0);
    const objects = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const probs = objects.filter((o) => 'probability' in o), segs = objects.filter((o) => 'start' in o);
    expect(probs).toHaveLength(frames);
    expect(probs.map((o) => o.probability)).toEqual(speech);
    expect(segs.map((o) => [o.start, o.end])).toEqual(at16);
  });

  it('writes each segment as soon as it ends, while later audio is still to be pushed', async () => {
    const push = vi.spyOn(VoiceActivityDetector.prototype, 'push');
    const written: { text: string; pushes: number }[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push({ text: String(chunk), pushes: push.mock.calls.length });
      return true;
    });
    try {
      expect(await main(['vad', WAV16, '--model', MODEL, '--redemption-ms', '1000'])).toBe(0);
    } finally {
      write.mockRestore();
    }
    const total = push.mock.calls.length;
    push.mockRestore();
    expect(total).toBe(Math.ceil(layout.samples / 4096));                  // chunks, not the whole file
    expect(written.map((w) => w.text).join('')).toBe(at16.map(([a, b]) => `${a.toFixed(3)} ${b.toFixed(3)}\n`).join(''));
    expect(written[0].pushes).toBeLessThan(total / 2);                      // the first sentence ends at 3.7 s of 12
  });
});

describe('recur vad errors', () => {
  it('a truncated WAV: exit 1 and readWav\'s message', async () => {
    const path = join(tmp.dir, 'truncated.wav');
    const bytes = readFileSync(WAV16).subarray(0, 1000);
    writeFileSync(path, bytes);
    let message = '';
    try { readWav(bytes); } catch (err) { message = (err as Error).message; }
    expect(message).toMatch(/^WAV: file is truncated/);
    const r = await recur(['vad', path, '--model', MODEL]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(expectOneLineError(r)).toBe(`recur vad: ${path}: ${message}`);
  });

  it('a missing model, a model that is not Silero, a knob out of range: exit 1, one line', async () => {
    for (const [args, message] of [
      [['--model', join(tmp.dir, 'nope.onnx')], /^recur vad: cannot read model file '.*nope\.onnx': no such file$/],
      [['--model', join(root, 'test/fixtures/onnx/torch/embed_lstm_head.onnx')], /^recur vad: .*embed_lstm_head\.onnx: Silero model: expected inputs input and state \(v5, v6\) or input, h and c \(legacy\); the file has ids$/],
      [['--model', join(root, 'models/char-lstm.safetensors')], /^recur vad: .*char-lstm\.safetensors is a safetensors file, not ONNX: --model takes Silero VAD's \.onnx file/],
      [['--model', MODEL, '--negative', '0.5'], /^recur vad: --negative must be in \[0, --positive = 0\.3\], got 0\.5$/],
      [['--model', MODEL, '--positive', '1.5'], /^recur vad: --positive must be in \[0, 1\], got 1\.5$/],
      [['--model', MODEL, '--min-speech-ms', '-1'], /^recur vad: --min-speech-ms must be ≥ 0 \(milliseconds\), got -1$/],
    ] as [string[], RegExp][]) {
      const r = await recur(['vad', WAV16, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(expectOneLineError(r)).toMatch(message);
    }
  });

  it.each([
    [['--model', MODEL, '--threshold', '0.5'], /^recur vad: unknown option --threshold$/],
    [[], /^recur vad: --model FILE is required/],
    [['--model', MODEL, '--sample-rate', '44100'], /^recur vad: --sample-rate must be 16000 or 8000, got '44100'$/],
    [['--model', MODEL, '--redemption-ms', 'long'], /^recur vad: --redemption-ms must be a number, got 'long'$/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await recur(['vad', WAV16, ...(args as string[])]);
    expect(r.code).toBe(2);
    const [line, hint] = r.stderr.trimEnd().split('\n');
    expect(line).toMatch(message);
    expect(hint).toBe("Try 'recur vad --help'.");
    expect(r.stdout).toBe('');
  });

  it('--help documents the command and its knobs', async () => {
    const r = await recur(['vad', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: recur vad AUDIO --model SILERO\.onnx/);
    for (const option of ['--sample-rate', '--positive', '--negative', '--redemption-ms', '--pre-speech-pad-ms', '--min-speech-ms', '--probabilities', '--json', '--no-context']) {
      expect(r.stdout).toContain(option);
    }
  });
});
