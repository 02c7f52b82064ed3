// Characters ↔ token ids, training windows and sampling for a character-level model. Plain
// functions, shared by the page (main.js) and by the tests, which check the page against Node.

/**
 * How the page fine-tunes: windows of seqLen characters, the Trainer's options, and how often
 * (steps 1, N + 1, 2N + 1, …) the worker sends the diagnostics of memory for the gradient plot.
 */
export const FINE_TUNE = {
  seqLen: 32,
  trainer: { loss: 'crossEntropy', optimizer: 'adam', lr: 3e-3, clipNorm: 1 },
  diagnosticsEvery: 10,
};

/**
 * The vocabulary of a model's sidecar JSON, { "vocab": "abc…" } or { "vocab": ["a", "b", …] }:
 * the character of each token id. (Its "unknown" is the character that stands in for others.)
 */
export function vocabulary(json) {
  const v = json?.vocab;
  if (typeof v === 'string') return Array.from(v);
  if (Array.isArray(v) && v.every((c) => typeof c === 'string')) return v;
  throw new Error('the model\'s .json should be { "vocab": "…characters in id order…" }');
}

/** Token ids of the characters of `text`; one the vocabulary lacks becomes `unknown`, or is skipped. */
export function encode(text, vocab, unknown) {
  const ids = new Map(vocab.map((c, i) => [c, i]));
  const chars = Array.from(text, (c) => (ids.has(c) ? c : unknown)).filter((c) => ids.has(c));
  return Int32Array.from(chars, (c) => ids.get(c));
}

/**
 * Next-character training examples: consecutive windows of seqLen characters, batch 1. The
 * targets are the inputs shifted by one, as in Karpathy's char-rnn.
 */
export function windows(ids, seqLen) {
  const examples = [];
  for (let at = 0; at + seqLen + 1 <= ids.length; at += seqLen) {
    examples.push({ inputs: ids.slice(at, at + seqLen), targets: ids.slice(at + 1, at + seqLen + 1), seqLen, batch: 1 });
  }
  return examples;
}

// The seeded generator and softmax sampling are recur's own, so Node and the page draw alike.
import { sampleLogits as sample, seededRandom as random } from 'recur';

export { random, sample };

/**
 * Generates `length` characters after `prompt` on a stream, one step per character, calling
 * onText with each new piece. `temperature()` is read at every step, so a slider acts at once.
 * Between pieces of `perFrame` characters it awaits `frame()`, which lets the page paint.
 */
export async function generate(stream, vocab, { prompt, length, temperature, seed, unknown, perFrame = Infinity,
                                                frame = async () => {}, onText = () => {}, stopped = () => false }) {
  const rand = random(seed);
  const ids = encode(prompt, vocab, unknown);
  stream.reset();
  let last = ids.length ? ids[ids.length - 1] : 0;
  if (ids.length > 1) stream.steps(ids.subarray(0, ids.length - 1), ids.length - 1);
  let text = '', piece = '';
  const flush = () => { text += piece; onText(piece); piece = ''; };
  for (let i = 0; i < length && !stopped(); i++) {
    last = sample(stream.step(Int32Array.of(last)), temperature(), rand);
    piece += vocab[last];
    if (piece.length >= perFrame) { flush(); await frame(); }
  }
  if (piece) flush();
  return text;
}
