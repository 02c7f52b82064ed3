// The bytes saveState() writes: every recurrent state of some rows (streams), versioned and tied
// to the model's architecture, little-endian so a snapshot moves between processes and runtimes.
//
//   offset 0   "RCST"                magic
//          4   u32 version = 1
//          8   u32 architecture fingerprint (FNV-1a of the layer descriptions without seeds
//              and the other INIT_OPTIONS)
//         12   u32 rows
//         16   u32 tensor count n
//         20   n × u32 floats per tensor (rows · rowFloats)
//              then the tensors' float32 data, in that order
// Weights are not part of the fingerprint: a snapshot stays valid while the model is fine-tuned.

import { RecurFormatError } from '../errors.js';
import { withoutInitOptions } from '../layers/options.js';
import type { StateTensor } from './program.js';

const MAGIC = 0x54534352;   // "RCST" read as little-endian u32
export const SNAPSHOT_VERSION = 1;

/** FNV-1a over the architecture's JSON. */
export function fingerprint(layers: { name: string; layer: { toJSON(): Record<string, unknown> } }[]): number {
  const text = JSON.stringify(layers.map(({ name, layer }) => ({ name, ...withoutInitOptions(layer.toJSON()) })));
  return fnv1a(text);
}

/** FNV-1a (32-bit) of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

export function encodeSnapshot(print: number, rows: number, tensors: Float32Array[]): Uint8Array {
  const head = 20 + 4 * tensors.length;
  const bytes = new Uint8Array(head + 4 * tensors.reduce((n, t) => n + t.length, 0));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, SNAPSHOT_VERSION, true);
  view.setUint32(8, print, true);
  view.setUint32(12, rows, true);
  view.setUint32(16, tensors.length, true);
  let at = head;
  tensors.forEach((t, i) => {
    view.setUint32(20 + 4 * i, t.length, true);
    for (let j = 0; j < t.length; j++, at += 4) view.setFloat32(at, t[j], true);
  });
  return bytes;
}

/** A dilated layer's phases (ring slots) must be integers in [0, d): anything else is a corrupt snapshot. */
export function checkPhases(states: StateTensor[], tensors: Float32Array[]): void {
  states.forEach((s, i) => {
    if (!s.phases) return;
    const bad = tensors[i].findIndex((p) => !(Number.isInteger(p) && p >= 0 && p < s.phases!));
    if (bad >= 0) throw new RecurFormatError(`state snapshot: ${s.name}[${bad}] is ${tensors[i][bad]}, a ring slot must be an integer in [0, ${s.phases})`);
  });
}

/** Checks a snapshot against what this model expects and returns its tensors. */
export function decodeSnapshot(bytes: Uint8Array, print: number, rows: number, floats: number[]): Float32Array[] {
  if (!(bytes instanceof Uint8Array)) throw new RecurFormatError('state snapshot must be a Uint8Array');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number, what: string) => {
    if (bytes.byteLength < n) throw new RecurFormatError(`state snapshot is truncated: ${bytes.byteLength} bytes, ${what} needs ${n}`);
  };
  need(20, 'the header');
  if (view.getUint32(0, true) !== MAGIC) throw new RecurFormatError('not a recur state snapshot (bad magic)');
  const version = view.getUint32(4, true);
  if (version !== SNAPSHOT_VERSION) throw new RecurFormatError(`state snapshot version ${version} is not supported (this recur reads version ${SNAPSHOT_VERSION})`);
  if (view.getUint32(8, true) !== print) throw new RecurFormatError('state snapshot is from a model with another architecture');
  const gotRows = view.getUint32(12, true);
  if (gotRows !== rows) throw new RecurFormatError(`state snapshot holds ${gotRows} stream(s), expected ${rows}`);
  const count = view.getUint32(16, true);
  if (count !== floats.length) throw new RecurFormatError(`state snapshot holds ${count} state tensors, expected ${floats.length}`);
  need(20 + 4 * count, 'its tensor table');
  const total = 20 + 4 * count + 4 * floats.reduce((a, b) => a + b, 0);
  floats.forEach((n, i) => {
    const got = view.getUint32(20 + 4 * i, true);
    if (got !== n) throw new RecurFormatError(`state snapshot tensor ${i} has ${got} values, expected ${n}`);
  });
  need(total, 'its data');
  if (bytes.byteLength !== total) throw new RecurFormatError(`state snapshot has ${bytes.byteLength - total} trailing bytes`);
  let at = 20 + 4 * count;
  return floats.map((n) => {
    const t = new Float32Array(n);
    // Restored exactly as saved, non-finite values included (a diverged state is still that state).
    for (let j = 0; j < n; j++, at += 4) t[j] = view.getFloat32(at, true);
    return t;
  });
}
