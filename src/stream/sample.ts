// Choosing the next token from a model's output, for generation: softmax sampling with a
// temperature, and a small seeded generator so the same seed gives the same text everywhere.

import { kindOf, RecurOptionError, RecurShapeError, RecurValueError, shown } from '../errors.js';

/** mulberry32: a seeded generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An id drawn from softmax(logits / temperature); temperature 0 takes the most likely one.
 * Empty logits are a RecurShapeError and a NaN logit a RecurValueError: neither has an answer,
 * and returning 0 or the argmax would pass for one.
 */
export function sampleLogits(logits: ArrayLike<number>, temperature: number, random: () => number = Math.random): number {
  if (!Array.isArray(logits) && !(ArrayBuffer.isView(logits) && !(logits instanceof DataView))) {
    throw new RecurShapeError(`sampleLogits: logits must be an array of numbers, got ${kindOf(logits)}`);
  }
  if (logits.length === 0) throw new RecurShapeError('sampleLogits: logits must hold at least one value, got 0');
  if (typeof temperature !== 'number' || !(temperature >= 0)) {
    throw new RecurOptionError(`sampleLogits: temperature must be a number ≥ 0, got ${shown(temperature)}`);
  }
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i])) throw new RecurValueError(`sampleLogits: logits[${i}] is NaN`);
  }
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (!(temperature > 0)) return best;
  const weights = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += weights[i] = Math.exp((logits[i] - logits[best]) / temperature);
  let r = random() * total;
  for (let i = 0; i < logits.length; i++) if ((r -= weights[i]) < 0) return i;
  return best;
}
