// Character-level models on the command line: the vocabulary that travels beside a model file
// (its sidecar JSON), seeded sampling, and bits per character.
//
// Sidecar: for `model.safetensors`, `model.json` holds
//   { "vocab": "…every character, in id order…", "unknown": " " }
// `vocab` may also be an array of strings. `unknown` is the character that stands for any
// character outside the vocabulary (null or absent: such characters are skipped). The browser
// demo (examples/browser/text.js) reads the same file and samples the same way, so a seed gives
// the same text in both.

import type { Sequential } from '../node/index.js';
import { CliError } from './args.js';

export class Vocabulary {
  private readonly ids: Map<string, number>;
  /** The id that characters outside the vocabulary become, if any. */
  readonly unknownId: number | undefined;

  constructor(readonly chars: string[], unknown?: string | null) {
    this.ids = new Map(chars.map((c, i) => [c, i]));
    if (this.ids.size !== chars.length) throw new CliError('vocabulary: a character appears twice');
    if (unknown !== undefined && unknown !== null && !this.ids.has(unknown)) {
      throw new CliError(`vocabulary: its "unknown" character ${JSON.stringify(unknown)} is not in the vocabulary`);
    }
    this.unknownId = unknown === undefined || unknown === null ? undefined : this.ids.get(unknown);
  }

  /** From a sidecar's parsed JSON; `where` names the file in errors. */
  static fromJSON(json: unknown, where: string): Vocabulary {
    const v = (json as { vocab?: unknown } | null)?.vocab;
    const chars = typeof v === 'string' ? Array.from(v)
      : Array.isArray(v) && v.every((c) => typeof c === 'string' && c.length > 0) ? (v as string[]) : undefined;
    if (!chars || chars.length === 0) throw new CliError(`${where}: "vocab" must be a non-empty string of the model's characters in id order`);
    const unknown = (json as { unknown?: unknown }).unknown;
    if (unknown !== undefined && unknown !== null && typeof unknown !== 'string') {
      throw new CliError(`${where}: "unknown" must be a character of the vocabulary or null`);
    }
    try {
      return new Vocabulary(chars, unknown as string | null | undefined);
    } catch (err) {
      throw new CliError(`${where}: ${(err as Error).message}`);
    }
  }

  /** Every character of the text, in code-point order; unknown characters become ' ' if it is there. */
  static fromText(text: string): Vocabulary {
    const chars = [...new Set(Array.from(text))].sort();
    return new Vocabulary(chars, chars.includes(' ') ? ' ' : undefined);
  }

  get size(): number { return this.chars.length; }

  has(char: string): boolean { return this.ids.has(char); }

  /** Token ids of the text; characters outside the vocabulary become unknownId or are skipped. */
  encode(text: string): Int32Array {
    const out: number[] = [];
    for (const c of text) {
      const id = this.ids.get(c) ?? this.unknownId;
      if (id !== undefined) out.push(id);
    }
    return Int32Array.from(out);
  }

  decode(id: number): string { return this.chars[id] ?? ''; }

  toJSON(): { vocab: string; unknown: string | null } {
    return { vocab: this.chars.join(''), unknown: this.unknownId === undefined ? null : this.chars[this.unknownId] };
  }
}

/** Sampling helpers live in the library (src/stream/sample.ts); the CLI uses them under its old names. */
export { seededRandom as random, sampleLogits as sample } from '../stream/sample.js';

/** −log softmax(row)[target] in nats, computed in double precision. */
export function crossEntropyRow(logits: Float32Array, offset: number, classes: number, target: number): number {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[offset + k]);
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(logits[offset + k] - max);
  return Math.log(sum) + max - logits[offset + target];
}

/**
 * Mean cross-entropy of every next id given the ones before it, in bits: the ids read as one
 * sequence, batch 1, the state carried across chunks of `chunk` steps (one forward() each).
 */
export function bitsPerChar(model: Sequential, ids: Int32Array, chunk = 4096): number {
  const n = ids.length - 1;
  if (n < 1) throw new CliError('need at least 2 characters to measure bits per character');
  let total = 0;
  let states;
  for (let at = 0; at < n; at += chunk) {
    const T = Math.min(chunk, n - at);
    const r = model.forward(ids.subarray(at, at + T), { seqLen: T, batch: 1, states });
    states = r.states;
    const V = r.output.length / T;
    for (let t = 0; t < T; t++) total += crossEntropyRow(r.output, t * V, V, ids[at + t + 1]);
  }
  return total / n / Math.LN2;
}
