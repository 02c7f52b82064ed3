// readWav / encodeWav / resample: round trips, every sample format readWav supports (built by hand
// here), the speech-mix fixtures (test/fixtures/audio/make_audio.sh), and malformed or truncated
// files, which must all be RecurFormatError (never a RangeError from a DataView).

import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecurFormatError, RecurOptionError, RecurValueError } from '../../src/errors.js';
import { encodeWav, readWav, resample } from '../../src/vad/wav.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/audio/${name}`, import.meta.url)));

interface Spec {
  tag?: number;            // format tag in the fmt chunk (0xfffe for extensible)
  subTag?: number;         // format in the extensible sub-format GUID
  channels: number;
  rate?: number;
  bits: number;
  blockAlign?: number;
  data: Uint8Array;        // interleaved sample bytes
  before?: [string, Uint8Array][];   // chunks before fmt
  between?: [string, Uint8Array][];  // chunks between fmt and data
  after?: [string, Uint8Array][];    // chunks after data
  dataFirst?: boolean;
  fmtBytes?: Uint8Array;   // the fmt chunk's body as is, instead of one made from the fields above
}

/** A WAV file built chunk by chunk. */
function buildWav(s: Spec): Uint8Array {
  const rate = s.rate ?? 16000;
  const blockAlign = s.blockAlign ?? s.channels * s.bits / 8;
  const extensible = s.tag === 0xfffe;
  const fmt = new Uint8Array(extensible ? 40 : 16);
  const fv = new DataView(fmt.buffer);
  fv.setUint16(0, s.tag ?? 1, true);
  fv.setUint16(2, s.channels, true);
  fv.setUint32(4, rate, true);
  fv.setUint32(8, rate * blockAlign, true);
  fv.setUint16(12, blockAlign, true);
  fv.setUint16(14, s.bits, true);
  if (extensible) {
    fv.setUint16(16, 22, true);
    fv.setUint16(18, s.bits, true);
    fv.setUint32(20, s.channels === 2 ? 3 : 4, true);
    fv.setUint16(24, s.subTag ?? 1, true);
    fmt.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  const fmtBody = s.fmtBytes ?? fmt;
  const chunk = (id: string, body: Uint8Array) => {
    const out = new Uint8Array(8 + body.length + (body.length & 1));
    for (let i = 0; i < 4; i++) out[i] = id.charCodeAt(i);
    new DataView(out.buffer).setUint32(4, body.length, true);
    out.set(body, 8);
    return out;
  };
  const parts = [
    ...(s.before ?? []).map(([id, b]) => chunk(id, b)),
    ...(s.dataFirst ? [chunk('data', s.data), chunk('fmt ', fmtBody)] : [chunk('fmt ', fmtBody)]),
    ...(s.between ?? []).map(([id, b]) => chunk(id, b)),
    ...(s.dataFirst ? [] : [chunk('data', s.data)]),
    ...(s.after ?? []).map(([id, b]) => chunk(id, b)),
  ];
  const size = 12 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  out.set([0x52, 0x49, 0x46, 0x46], 0);
  new DataView(out.buffer).setUint32(4, size - 8, true);
  out.set([0x57, 0x41, 0x56, 0x45], 8);
  let at = 12;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Little-endian bytes of integer or float samples. */
function pack(values: number[], bits: number, float = false): Uint8Array {
  const w = bits / 8;
  const out = new Uint8Array(values.length * w);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    const at = i * w;
    if (float) { if (bits === 32) v.setFloat32(at, x, true); else v.setFloat64(at, x, true); return; }
    if (bits === 8) v.setUint8(at, x);
    else if (bits === 16) v.setInt16(at, x, true);
    else if (bits === 24) { v.setUint8(at, x & 0xff); v.setUint8(at + 1, (x >> 8) & 0xff); v.setInt8(at + 2, x >> 16); }
    else v.setInt32(at, x, true);
  });
  return out;
}

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

describe('encodeWav → readWav', () => {
  it('round-trips multiples of 1/32768 exactly and clamps the rest', () => {
    const xs = [0, 0.5, -0.5, -1, 32767 / 32768, 1 / 32768, -3 / 32768];
    const bytes = encodeWav(xs, 22050);
    expect(bytes.length).toBe(44 + 2 * xs.length);
    const w = readWav(bytes);
    expect(w).toMatchObject({ sampleRate: 22050, channels: 1, bitsPerSample: 16, encoding: 'pcm' });
    expect(Array.from(w.samples)).toEqual(f32(xs));
    expect(Array.from(readWav(encodeWav([1, 2, -2], 8000)).samples)).toEqual(f32([32767 / 32768, 32767 / 32768, -1]));
  });

  it('round-trips random audio within half a step', () => {
    fc.assert(fc.property(
      fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { maxLength: 300 }), fc.integer({ min: 1, max: 192000 }),
      (xs, rate) => {
        const w = readWav(encodeWav(xs, rate));
        expect(w.sampleRate).toBe(rate);
        expect(w.samples.length).toBe(xs.length);
        // Half a step, except near +1, clamped to 32767 / 32768.
        w.samples.forEach((y, i) => expect(Math.abs(y - Math.min(xs[i], 32767 / 32768))).toBeLessThanOrEqual(0.5 / 32768 + 1e-9));
      },
    ), { numRuns: 100 });
  });

  it('accepts an ArrayBuffer and a view at an odd offset', () => {
    const bytes = encodeWav([0.25, -0.25], 16000);
    expect(Array.from(readWav(bytes.slice().buffer).samples)).toEqual([0.25, -0.25]);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(readWav(shifted.subarray(1)).samples)).toEqual([0.25, -0.25]);
  });

  it('rejects a bad sample rate and non-finite samples', () => {
    expect(() => encodeWav([0], 0)).toThrow(RecurOptionError);
    expect(() => encodeWav([0], 44.1)).toThrow(/sampleRate/);
    expect(() => encodeWav([0, NaN], 16000)).toThrow(RecurValueError);
    expect(() => encodeWav([0, NaN], 16000)).toThrow(/sample 1 is NaN/);
  });
});

describe('readWav formats', () => {
  it('8-bit unsigned PCM', () => {
    const w = readWav(buildWav({ channels: 1, bits: 8, data: pack([128, 255, 0, 64], 8) }));
    expect(Array.from(w.samples)).toEqual(f32([0, 127 / 128, -1, -0.5]));
    expect(w.bitsPerSample).toBe(8);
  });

  it('16-bit PCM stereo is averaged', () => {
    const w = readWav(buildWav({ channels: 2, bits: 16, rate: 44100, data: pack([16384, 0, -32768, -32768, 100, -100], 16) }));
    expect(w).toMatchObject({ channels: 2, sampleRate: 44100 });
    expect(Array.from(w.samples)).toEqual(f32([0.25, -1, 0]));
  });

  it('24-bit PCM', () => {
    const w = readWav(buildWav({ channels: 1, bits: 24, data: pack([0, 4194304, -8388608, 8388607, -1], 24) }));
    expect(Array.from(w.samples)).toEqual(f32([0, 0.5, -1, 8388607 / 8388608, -1 / 8388608]));
  });

  it('32-bit PCM', () => {
    const w = readWav(buildWav({ channels: 1, bits: 32, data: pack([0, 1073741824, -2147483648, -1], 32) }));
    expect(Array.from(w.samples)).toEqual(f32([0, 0.5, -1, -1 / 2147483648]));
  });

  it('32- and 64-bit IEEE float', () => {
    const xs = [0, 0.125, -0.75, 1.5];
    const w32 = readWav(buildWav({ tag: 3, channels: 1, bits: 32, data: pack(xs, 32, true) }));
    expect(w32).toMatchObject({ encoding: 'float', bitsPerSample: 32 });
    expect(Array.from(w32.samples)).toEqual(xs);
    const w64 = readWav(buildWav({ tag: 3, channels: 1, bits: 64, data: pack(xs, 64, true) }));
    expect(Array.from(w64.samples)).toEqual(xs);
  });

  it('WAVE_FORMAT_EXTENSIBLE, PCM and float', () => {
    const pcm = readWav(buildWav({ tag: 0xfffe, channels: 2, bits: 24, data: pack([4194304, 0, 0, -4194304], 24) }));
    expect(pcm).toMatchObject({ channels: 2, encoding: 'pcm', bitsPerSample: 24 });
    expect(Array.from(pcm.samples)).toEqual([0.25, -0.25]);
    const flt = readWav(buildWav({ tag: 0xfffe, subTag: 3, channels: 1, bits: 32, data: pack([0.5, -0.5], 32, true) }));
    expect(flt.encoding).toBe('float');
    expect(Array.from(flt.samples)).toEqual([0.5, -0.5]);
  });

  it('skips other chunks, odd-sized ones with their pad byte, in any place; data may come before fmt', () => {
    const data = pack([1000, -1000, 2000], 16);
    const expected = f32([1000 / 32768, -1000 / 32768, 2000 / 32768]);
    const odd = new Uint8Array([1, 2, 3]);
    for (const extra of [
      { before: [['JUNK', new Uint8Array(28)], ['bext', odd]] as [string, Uint8Array][] },
      { between: [['LIST', odd], ['fact', new Uint8Array(4)]] as [string, Uint8Array][] },
      { after: [['LIST', new Uint8Array(10)], ['id3 ', odd]] as [string, Uint8Array][] },
      { dataFirst: true },
    ]) {
      expect(Array.from(readWav(buildWav({ channels: 1, bits: 16, data, ...extra })).samples)).toEqual(expected);
    }
    // An odd-sized data chunk (8-bit, 3 samples) with its pad byte, then another chunk.
    const w = readWav(buildWav({ channels: 1, bits: 8, data: pack([128, 192, 64], 8), after: [['LIST', odd]] }));
    expect(Array.from(w.samples)).toEqual([0, 0.5, -0.5]);
  });

  it('an empty data chunk gives no samples', () => {
    expect(readWav(buildWav({ channels: 1, bits: 16, data: new Uint8Array(0) })).samples.length).toBe(0);
  });
});

describe('readWav errors', () => {
  const good = buildWav({ channels: 1, bits: 16, data: pack([1, 2, 3, 4], 16) });
  const patch = (at: number, bytes: number[]) => { const b = good.slice(); b.set(bytes, at); return b; };
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /truncated: 0 bytes/],
    ['not RIFF', patch(0, [0x52, 0x49, 0x46, 0x58 + 1]), /not a RIFF file/],
    ['RIFX', patch(0, [0x52, 0x49, 0x46, 0x58]), /RIFX/],
    ['not WAVE', patch(8, [0x41, 0x56, 0x49, 0x20]), /"AVI "/],
    ['RIFF size too large', patch(4, [0xff, 0xff, 0, 0]), /truncated/],
    ['chunk size past the end', patch(16, [100]), /"fmt " chunk .* truncated/],
    ['fmt too short', buildWav({ channels: 1, bits: 16, data: new Uint8Array(2), fmtBytes: new Uint8Array(14) }), /fmt chunk is 14 bytes/],
    ['extensible fmt too short', buildWav({ tag: 0xfffe, channels: 1, bits: 16, data: new Uint8Array(2), fmtBytes: new Uint8Array([0xfe, 0xff, 1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0, 0, 0]) }), /EXTENSIBLE fmt chunk is 18 bytes/],
    ['format tag 2 (ADPCM)', patch(20, [2, 0]), /format tag 0x0002 is not supported/],
    ['12-bit PCM', buildWav({ channels: 1, bits: 12, blockAlign: 2, data: new Uint8Array(4) }), /12-bit PCM is not supported/],
    ['16-bit float', buildWav({ tag: 3, channels: 1, bits: 16, data: new Uint8Array(4) }), /16-bit float is not supported/],
    ['0 channels', buildWav({ channels: 0, bits: 16, blockAlign: 0, data: new Uint8Array(4) }), /0 channels/],
    ['sample rate 0', buildWav({ channels: 1, rate: 0, bits: 16, data: new Uint8Array(4) }), /sample rate of 0/],
    ['block align', buildWav({ channels: 2, bits: 16, blockAlign: 2, data: new Uint8Array(4) }), /block align 2/],
    ['ragged data', buildWav({ channels: 2, bits: 16, data: new Uint8Array(6) }), /not a whole number of 4-byte frames/],
    ['extensible with an unknown GUID', (() => {
      const b = buildWav({ tag: 0xfffe, channels: 1, bits: 16, data: new Uint8Array(4) });
      b[20 + 8 + 30] ^= 0xff;
      return b;
    })(), /sub-format/],
    ['two data chunks', buildWav({ channels: 1, bits: 16, data: new Uint8Array(2), after: [['data', new Uint8Array(2)]] }), /two data chunks/],
  ];
  it.each(cases)('%s', (_name, bytes, message) => {
    expect(() => readWav(bytes)).toThrow(RecurFormatError);
    expect(() => readWav(bytes)).toThrow(message);
  });

  it('no fmt or no data chunk', () => {
    const onlyData = buildWav({ channels: 1, bits: 16, data: new Uint8Array(2) });
    onlyData.set([0x4a, 0x55, 0x4e, 0x4b], 12);   // rename "fmt " to "JUNK"
    expect(() => readWav(onlyData)).toThrow(/no fmt chunk/);
    const onlyFmt = buildWav({ channels: 1, bits: 16, data: new Uint8Array(2) });
    onlyFmt.set([0x4a, 0x55, 0x4e, 0x4b], 36);
    expect(() => readWav(onlyFmt)).toThrow(/no data chunk/);
  });

  it('every truncation of small files is a RecurFormatError', () => {
    const files = [
      encodeWav([0.1, -0.2, 0.3], 16000),
      buildWav({ channels: 2, bits: 24, data: pack([1, 2, 3, 4], 24), before: [['LIST', new Uint8Array([1, 2, 3])]] }),
      buildWav({ tag: 0xfffe, subTag: 3, channels: 1, bits: 32, data: pack([0.5, 0.25], 32, true), after: [['JUNK', new Uint8Array(6)]] }),
      buildWav({ channels: 1, bits: 8, data: pack([1, 2, 3], 8), dataFirst: true }),
    ];
    for (const file of files) {
      expect(() => readWav(file)).not.toThrow();
      for (let n = 0; n < file.length; n++) {
        let error: unknown;
        try { readWav(file.subarray(0, n)); } catch (e) { error = e; }
        expect(error, `${n} of ${file.length} bytes`).toBeInstanceOf(RecurFormatError);
      }
    }
  });

  it('a truncated fixture is a RecurFormatError naming the truncation', () => {
    const bytes = fixture('speech-mix-16k.wav');
    expect(() => readWav(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
  });

  it('corrupted bytes give a result or a RecurFormatError, nothing else', () => {
    const base = buildWav({ tag: 0xfffe, channels: 2, bits: 16, data: pack([1, 2, 3, 4, 5, 6], 16), between: [['LIST', new Uint8Array(5)]] });
    fc.assert(fc.property(
      fc.array(fc.record({ at: fc.nat({ max: base.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
      fc.nat({ max: base.length }),
      (edits, cut) => {
        const bytes = base.slice(0, Math.max(cut, base.length - 8));
        for (const { at, value } of edits) if (at < bytes.length) bytes[at] = value;
        try {
          const w = readWav(bytes);
          expect(w.samples).toBeInstanceOf(Float32Array);
        } catch (e) {
          expect(e).toBeInstanceOf(RecurFormatError);
        }
      },
    ), { numRuns: 2000 });
  });

  it('rejects what is not bytes', () => {
    expect(() => readWav('RIFF' as unknown as Uint8Array)).toThrow(RecurFormatError);
  });
});

describe('fixtures', () => {
  const layout = JSON.parse(new TextDecoder().decode(fixture('speech-mix.json')));
  const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));

  it('speech-mix-16k.wav: 16 kHz mono 16-bit, 12 s, speech where speech-mix.json says', () => {
    const w = readWav(fixture('speech-mix-16k.wav'));
    expect(w).toMatchObject({ sampleRate: 16000, channels: 1, bitsPerSample: 16, encoding: 'pcm' });
    expect(w.samples.length).toBe(layout.samples);
    expect(layout.samples).toBe(192000);
    expect(layout.speech).toHaveLength(3);
    for (const part of layout.parts) {
      const level = rms(w.samples.subarray(part.startSample, part.endSample));
      if (part.kind === 'silence') expect(level).toBe(0);
      if (part.kind === 'noise') expect(level).toBeGreaterThan(0.5 * part.amplitude / Math.sqrt(3));
      if (part.kind === 'noise') expect(level).toBeLessThan(0.05);
      if (part.kind === 'speech') expect(level).toBeGreaterThan(0.05);
    }
  });

  it('speech-mix-8k.wav: the same at 8 kHz, close to resample() of the 16 kHz clip', () => {
    const w8 = readWav(fixture('speech-mix-8k.wav'));
    expect(w8).toMatchObject({ sampleRate: 8000, channels: 1 });
    expect(w8.samples.length).toBe(layout.samples / 2);
    const ours = resample(readWav(fixture('speech-mix-16k.wav')).samples, 16000, 8000);
    expect(ours.length).toBe(w8.samples.length);
    let dot = 0, a = 0, b = 0;
    for (let i = 0; i < ours.length; i++) { dot += ours[i] * w8.samples[i]; a += ours[i] ** 2; b += w8.samples[i] ** 2; }
    expect(dot / Math.sqrt(a * b)).toBeGreaterThan(0.99);   // sox's and ours agree
  });
});

describe('resample', () => {
  const tone = (hz: number, rate: number, n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));

  it('lengths are round(n · to / from); equal rates copy', () => {
    const x = new Float32Array(1000).fill(0.5);
    expect(resample(x, 16000, 8000).length).toBe(500);
    expect(resample(x, 44100, 16000).length).toBe(363);
    expect(resample(x, 8000, 16000).length).toBe(2000);
    expect(resample(new Float32Array(0), 48000, 16000).length).toBe(0);
    const same = resample(x, 16000, 16000);
    expect(same).toEqual(x);
    expect(same).not.toBe(x);
  });

  it('upsampling interpolates linearly and holds the last sample', () => {
    expect(Array.from(resample([0, 1, 0, -1], 1, 2))).toEqual([0, 0.5, 1, 0.5, 0, -0.5, -1, -1]);
    expect(Array.from(resample([0, 0.75], 2, 3))).toEqual([0, 0.5, 0.75]);
  });

  it('downsampling keeps the speech band and removes what would alias', () => {
    const inBand = resample(tone(440, 48000, 48000), 48000, 16000);
    const ref = tone(440, 16000, 16000);
    let err = 0;
    for (let i = 1000; i < 15000; i++) err = Math.max(err, Math.abs(inBand[i] - ref[i]));
    expect(err).toBeLessThan(0.01);
    // 12 kHz at 48 kHz would alias to 4 kHz at 16 kHz: filtered away.
    const alias = resample(tone(12000, 48000, 48000), 48000, 16000);
    let peak = 0;
    for (let i = 1000; i < 15000; i++) peak = Math.max(peak, Math.abs(alias[i]));
    expect(peak).toBeLessThan(0.01);
    // A constant stays constant (unit DC gain) away from the ends.
    const dc = resample(new Float32Array(4410).fill(0.5), 44100, 16000);
    for (let i = 100; i < dc.length - 100; i++) expect(dc[i]).toBeCloseTo(0.5, 5);
  });

  it('rejects bad rates', () => {
    expect(() => resample([0], 0, 16000)).toThrow(RecurOptionError);
    expect(() => resample([0], 16000, NaN)).toThrow(/toRate must be a positive number/);
    expect(() => resample([0], -8000, 16000)).toThrow(/fromRate/);
  });
});
