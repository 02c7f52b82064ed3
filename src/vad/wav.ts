// WAV files in and out, and sample-rate conversion, for feeding audio to a VAD. No Node built-ins:
// this runs in browsers and Workers too.
//
// readWav reads RIFF/WAVE files holding integer PCM (8, 16, 24 or 32 bits) or IEEE float (32 or
// 64 bits), with a plain or a WAVE_FORMAT_EXTENSIBLE fmt chunk; chunks other than fmt and data are
// skipped. Anything else, and every malformed or truncated file, is a RecurFormatError that says
// what is wrong.

import { RecurFormatError, RecurOptionError, RecurValueError } from '../errors.js';

export interface WavAudio {
  /** Samples per second (per channel), in Hz. */
  sampleRate: number;
  /** Channels in the file (the samples are their average). */
  channels: number;
  /** Bits per sample in the file (8, 16, 24, 32 or 64). */
  bitsPerSample: number;
  /** 'pcm' (integers) or 'float' (IEEE floats). */
  encoding: 'pcm' | 'float';
  /** The audio as mono (the mean of the channels), scaled to [-1, 1): 16-bit PCM is value / 32768,
   *  8-bit (value − 128) / 128, 24-bit value / 2²³, 32-bit value / 2³¹; floats as stored. */
  samples: Float32Array;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes 2..15 of the KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT GUIDs (the first two hold the format tag). */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const fourcc = (bytes: Uint8Array, at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
const printable = (id: string) => JSON.stringify(id);

/** Decodes a WAV file to mono float samples. Throws RecurFormatError for anything it cannot read. */
export function readWav(bytes: Uint8Array | ArrayBuffer): WavAudio {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new RecurFormatError('readWav: bytes must be a Uint8Array or an ArrayBuffer');
  const fail = (why: string): never => { throw new RecurFormatError(`WAV: ${why}`); };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;

  if (length < 12) fail(`file is truncated: ${length} bytes, the RIFF header needs 12`);
  const riff = fourcc(bytes, 0);
  if (riff === 'RIFX') fail('big-endian RIFX files are not supported');
  if (riff === 'RF64') fail('RF64 files are not supported');
  if (riff !== 'RIFF') fail('not a RIFF file (bad magic)');
  if (fourcc(bytes, 8) !== 'WAVE') fail(`RIFF file of form ${printable(fourcc(bytes, 8))}, not WAVE`);
  const riffSize = view.getUint32(4, true);
  const riffEnd = 8 + riffSize;
  if (riffEnd > length) fail(`file is truncated: the RIFF header declares ${riffEnd} bytes, the file has ${length}`);
  if (riffSize < 4) fail(`RIFF size ${riffSize} is too small`);

  let fmt: { at: number; size: number } | undefined;
  let data: { at: number; size: number } | undefined;
  for (let at = 12; at < riffEnd;) {
    if (at + 8 > riffEnd) fail(`chunk header at byte ${at} is truncated (${riffEnd - at} of 8 bytes)`);
    const id = fourcc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (body + size > riffEnd) fail(`${printable(id)} chunk at byte ${at} is truncated: it declares ${size} bytes, ${riffEnd - body} remain`);
    if (id === 'fmt ') {
      if (fmt) fail('two fmt chunks');
      fmt = { at: body, size };
    } else if (id === 'data') {
      if (data) fail('two data chunks');
      data = { at: body, size };
    }
    at = body + size + (size & 1);   // chunks are word-aligned (a missing pad byte at the very end is tolerated)
  }
  if (!fmt) fail('no fmt chunk');
  if (!data) fail('no data chunk');
  const f = fmt!, d = data!;

  if (f.size < 16) fail(`fmt chunk is ${f.size} bytes, at least 16 are needed`);
  let tag = view.getUint16(f.at, true);
  const channels = view.getUint16(f.at + 2, true);
  const sampleRate = view.getUint32(f.at + 4, true);
  const blockAlign = view.getUint16(f.at + 12, true);
  const bitsPerSample = view.getUint16(f.at + 14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (f.size < 40) fail(`WAVE_FORMAT_EXTENSIBLE fmt chunk is ${f.size} bytes, at least 40 are needed`);
    const cbSize = view.getUint16(f.at + 16, true);
    if (cbSize < 22) fail(`WAVE_FORMAT_EXTENSIBLE extension is ${cbSize} bytes, at least 22 are needed`);
    const validBits = view.getUint16(f.at + 18, true);
    if (validBits > bitsPerSample) fail(`${validBits} valid bits do not fit in ${bitsPerSample}-bit samples`);
    tag = view.getUint16(f.at + 24, true);
    for (let i = 0; i < GUID_TAIL.length; i++) {
      if (bytes[f.at + 26 + i] !== GUID_TAIL[i]) fail('WAVE_FORMAT_EXTENSIBLE sub-format is not a standard PCM or IEEE float GUID');
    }
  }
  let encoding: 'pcm' | 'float';
  if (tag === WAVE_FORMAT_PCM) {
    encoding = 'pcm';
    if (![8, 16, 24, 32].includes(bitsPerSample)) fail(`${bitsPerSample}-bit PCM is not supported (8, 16, 24 and 32 are)`);
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    encoding = 'float';
    if (bitsPerSample !== 32 && bitsPerSample !== 64) fail(`${bitsPerSample}-bit float is not supported (32 and 64 are)`);
  } else {
    fail(`format tag 0x${tag.toString(16).padStart(4, '0')} is not supported (only PCM 0x0001 and IEEE float 0x0003)`);
  }
  if (channels < 1) fail('the fmt chunk declares 0 channels');
  if (sampleRate < 1) fail('the fmt chunk declares a sample rate of 0');
  const width = bitsPerSample / 8;
  if (blockAlign !== channels * width) fail(`block align ${blockAlign} is not channels × bytes per sample = ${channels * width}`);
  if (d.size % blockAlign !== 0) fail(`data chunk of ${d.size} bytes is not a whole number of ${blockAlign}-byte frames`);

  const frames = d.size / blockAlign;
  const samples = new Float32Array(frames);
  const read = sampleReader(view, encoding!, bitsPerSample);
  const scale = 1 / channels;
  for (let i = 0, at = d.at; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, at += width) sum += read(at);
    samples[i] = channels === 1 ? sum : sum * scale;
  }
  return { sampleRate, channels, bitsPerSample, encoding: encoding!, samples };
}

function sampleReader(view: DataView, encoding: 'pcm' | 'float', bits: number): (at: number) => number {
  if (encoding === 'float') return bits === 32 ? (at) => view.getFloat32(at, true) : (at) => view.getFloat64(at, true);
  switch (bits) {
    case 8: return (at) => (view.getUint8(at) - 128) / 128;
    case 16: return (at) => view.getInt16(at, true) / 32768;
    case 24: return (at) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608);
    default: return (at) => view.getInt32(at, true) / 2147483648;
  }
}

/**
 * A mono 16-bit PCM WAV file of `samples` (nominally in [-1, 1]) at `sampleRate` Hz. Each sample
 * becomes round(x · 32768) clamped to [-32768, 32767], so readWav gives back x exactly for
 * multiples of 1/32768 in range. A non-finite sample is a RecurValueError.
 */
export function encodeWav(samples: ArrayLike<number>, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffffffff / 2) {
    throw new RecurOptionError(`encodeWav: sampleRate must be a positive integer (Hz), got ${String(sampleRate)}`);
  }
  const n = samples.length;
  if (44 + 2 * n > 0xffffffff) throw new RecurOptionError(`encodeWav: ${n} samples do not fit in a WAV file`);
  const bytes = new Uint8Array(44 + 2 * n);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, s: string) => { for (let i = 0; i < 4; i++) bytes[at + i] = s.charCodeAt(i); };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + 2 * n, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, WAVE_FORMAT_PCM, true);
  view.setUint16(22, 1, true);                 // channels
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);    // byte rate
  view.setUint16(32, 2, true);                 // block align
  view.setUint16(34, 16, true);                // bits per sample
  ascii(36, 'data');
  view.setUint32(40, 2 * n, true);
  for (let i = 0; i < n; i++) {
    const x = samples[i];
    if (!Number.isFinite(x)) throw new RecurValueError(`encodeWav: sample ${i} is ${x}`);
    view.setInt16(44 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true);
  }
  return bytes;
}

/** The most resample() multiplies the number of samples by. */
export const MAX_UPSAMPLING = 64;

/**
 * Converts `samples` from `fromRate` to `toRate` (Hz), upsampling at most 64-fold. Output sample j is the input at time
 * j / toRate, interpolated linearly between the two nearest input samples (the last input sample
 * is held past the end); there are round(n · toRate / fromRate) of them. When downsampling, the
 * input first goes through a Blackman-windowed-sinc low-pass filter with its cutoff at 0.45 · toRate
 * (so content above the new Nyquist frequency does not alias into the speech band). Simple and
 * good enough for VAD input; not a mastering-grade resampler. Equal rates give a copy.
 */
export function resample(samples: ArrayLike<number>, fromRate: number, toRate: number): Float32Array {
  for (const [name, v] of [['fromRate', fromRate], ['toRate', toRate]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RecurOptionError(`resample: ${name} must be a positive number (Hz), got ${String(v)}`);
    }
  }
  const n = samples.length;
  if (fromRate === toRate) return Float32Array.from(samples);
  const ratio = toRate / fromRate;
  // A file can claim any rate: 1 Hz to 16 kHz would make 16,000 samples of each one (a 200 kB
  // file, 6 GB and 30 s). Real conversions are a few-fold (8 → 48 kHz is 6-fold).
  if (ratio > MAX_UPSAMPLING) {
    throw new RecurOptionError(`resample: from ${fromRate} Hz to ${toRate} Hz is upsampling ${Number(ratio.toPrecision(6))}-fold; at most ${MAX_UPSAMPLING}-fold is supported`);
  }
  // The input at index i (0 ≤ i < n): as is, or low-pass filtered when downsampling.
  const at = ratio < 1 ? lowPassAt(samples, ratio) : (i: number) => samples[i];
  const m = Math.round(n * ratio);
  const out = new Float32Array(m);
  if (n === 0) return out;
  for (let j = 0; j < m; j++) {
    const pos = (j * fromRate) / toRate;
    const i = Math.floor(pos);
    if (i >= n - 1) { out[j] = at(n - 1); continue; }
    const a = at(i), t = pos - i;
    out[j] = t === 0 ? a : a + (at(i + 1) - a) * t;
  }
  return out;
}

/**
 * The input low-pass filtered for downsampling by `ratio` (< 1), evaluated only where asked (the
 * output needs two input samples per output sample, far fewer than the input has): a linear-phase
 * FIR, Blackman-windowed sinc with cutoff 0.45 · ratio cycles per sample and a transition band of
 * 0.1 · ratio, so the stop band (about −74 dB) starts at the new Nyquist frequency. Unit DC gain;
 * the signal is taken as zero outside its ends.
 */
function lowPassAt(x: ArrayLike<number>, ratio: number): (i: number) => number {
  const fc = 0.45 * ratio;
  const half = Math.min(2048, Math.ceil(27.5 / ratio));   // Blackman: transition ≈ 5.5 / taps
  const taps = new Float64Array(2 * half + 1);
  let sum = 0;
  for (let k = -half; k <= half; k++) {
    const sinc = k === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * k) / (Math.PI * k);
    const w = 0.42 + 0.5 * Math.cos((Math.PI * k) / half) + 0.08 * Math.cos((2 * Math.PI * k) / half);
    taps[k + half] = sinc * w;
    sum += taps[k + half];
  }
  for (let k = 0; k < taps.length; k++) taps[k] /= sum;
  const n = x.length;
  let lastIndex = -1, lastValue = 0;
  return (i: number) => {
    if (i === lastIndex) return lastValue;
    let acc = 0;
    const lo = Math.max(-half, -i), hi = Math.min(half, n - 1 - i);
    for (let k = lo; k <= hi; k++) acc += taps[k + half] * x[i + k];
    lastIndex = i;
    lastValue = acc;
    return acc;
  };
}
