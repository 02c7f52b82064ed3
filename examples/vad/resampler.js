// Resampling a stream that arrives in chunks (a microphone at 44.1 or 48 kHz) to the 16 kHz Silero
// wants, with recur/vad's resample() (a low-pass filter when downsampling, then linear
// interpolation). Resampling each chunk on its own would make every chunk boundary a small click
// (the filter sees zeros past the chunk's ends); instead a short carry-over of the previous input is
// kept, and only the output samples whose filter window lies wholly in the input received so far
// are returned. The result is the same, to float rounding, as resampling the whole recording at once.
//
// No imports: the page passes recur/vad's resample in, the tests pass the one from src/.

const gcd = (a, b) => (b ? gcd(b, a % b) : a);

/**
 * `push(chunk)` takes the next samples at `fromRate` (a Float32Array of any length) and returns the
 * next samples at `toRate` (possibly none); `flush()` returns the rest at the end of the stream.
 * `resample(samples, fromRate, toRate)` is recur/vad's. Both rates are whole numbers of Hz.
 */
export function streamResampler(fromRate, toRate, resample) {
  if (fromRate === toRate) return { push: (chunk) => chunk, flush: () => new Float32Array(0) };
  // Every `period` input samples line up with a whole number of output samples, so the kept
  // input always starts on such a boundary and its outputs fall on the stream's output grid.
  const period = fromRate / gcd(fromRate, toRate), outPeriod = toRate / gcd(fromRate, toRate);
  // Input samples the output near a chunk's ends depends on: recur's filter reaches
  // 27.5 · fromRate / toRate samples either side when downsampling, the interpolation one more.
  const margin = Math.ceil(32 * Math.max(1, fromRate / toRate)) + 2;
  let kept = new Float32Array(0);
  let keptStart = 0;   // index in the input stream of kept[0]
  let next = 0;        // index in the output stream of the next sample to return
  const firstOf = (start) => (start / period) * outPeriod;   // the output index at input index `start`

  const push = (chunk) => {
    const input = new Float32Array(kept.length + chunk.length);
    input.set(kept);
    input.set(chunk, kept.length);
    const received = keptStart + input.length;
    // The last output whose input window (up to margin samples past its position) has arrived.
    const last = Math.floor(((received - 1 - margin) * toRate) / fromRate);
    let out = new Float32Array(0);
    if (last >= next) {
      const all = resample(input, fromRate, toRate);
      out = all.slice(next - firstOf(keptStart), last + 1 - firstOf(keptStart));
      next = last + 1;
    }
    // Keep what the next outputs will need, from a period boundary.
    const needed = Math.floor((next * fromRate) / toRate) - margin - 1;
    const from = Math.max(keptStart, Math.floor(Math.max(0, needed) / period) * period);
    kept = input.slice(from - keptStart);
    keptStart = from;
    return out;
  };
  const flush = () => {
    const out = resample(kept, fromRate, toRate).slice(next - firstOf(keptStart));
    kept = new Float32Array(0);
    next += out.length;
    return out;
  };
  return { push, flush };
}
