// A trainer checkpoint: everything needed to resume training exactly where it stopped, as one
// safetensors file (the same careful reader as model files):
//
//   __metadata__  "format": "recur-checkpoint", "version": "1",
//                 "model": the Sequential's description (JSON),
//                 "trainer": { optimizer, updates, skipped, optimizerStep, lr } (JSON)
//   tensors       every model parameter under its state-dict name (F32), and the optimizer's
//                 state buffers as "optimizer.<i>" (F32, flat, in the optimizer's slot order)
//
// The trainer has no random state of its own (data order is the caller's), so nothing else is
// needed. Writing the bytes to disk atomically is src/node/checkpoint.ts's job.

import { RecurFormatError } from '../errors.js';
import { float32FromBytes, littleEndianBytes } from '../formats/bytes.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsTensorInput } from '../formats/safetensors.js';
import type { Trainer } from './trainer.js';

export const CHECKPOINT_FORMAT = 'recur-checkpoint';
export const CHECKPOINT_VERSION = 1;

export function encodeCheckpoint(trainer: Trainer): Uint8Array {
  const tensors: Record<string, SafetensorsTensorInput> = {};
  for (const [name, values] of Object.entries(trainer.masterModel.stateDict())) {
    tensors[name] = { dtype: 'F32', shape: [values.length], data: littleEndianBytes(values) };
  }
  const state = trainer.optimizer.exportState();
  state.buffers.forEach((b, i) => { tensors[`optimizer.${i}`] = { dtype: 'F32', shape: [b.length], data: littleEndianBytes(b) }; });
  return serializeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    version: String(CHECKPOINT_VERSION),
    model: JSON.stringify(trainer.masterModel.toJSON()),
    trainer: JSON.stringify({
      optimizer: trainer.optimizer.name, updates: trainer.stepCount, skipped: trainer.skippedUpdates,
      optimizerStep: state.step, lr: trainer.optimizer.lr,
    }),
  });
}

export interface DecodedCheckpoint {
  model: string;                                   // the description's JSON, as saved
  weights: Record<string, Float32Array>;
  optimizer: { name: string; step: number; lr: number; buffers: Float32Array[] };
  updates: number;
  skipped: number;
}

/**
 * The checkpoint's parts, checked for form. `optimizer` says how many state buffers the trainer's
 * optimizer has: a tensor `optimizer.<i>` must have i below that, so a name cannot make the
 * reader walk a huge index range (`optimizer.4294967294` in a 2 kB file).
 */
export function decodeCheckpoint(bytes: Uint8Array, optimizer: { name: string; bufferCount: number }): DecodedCheckpoint {
  const file = parseSafetensors(bytes);
  const meta = file.metadata;
  if (meta.format !== CHECKPOINT_FORMAT) throw new RecurFormatError(`not a recur checkpoint (format ${JSON.stringify(meta.format)})`);
  if (Number(meta.version) !== CHECKPOINT_VERSION) throw new RecurFormatError(`checkpoint version ${meta.version} is not supported (this recur reads ${CHECKPOINT_VERSION})`);
  let info: { optimizer: string; updates: number; skipped: number; optimizerStep: number; lr: number };
  try { info = JSON.parse(meta.trainer); } catch { throw new RecurFormatError('checkpoint: its trainer metadata is not JSON'); }
  if (typeof info !== 'object' || info === null) throw new RecurFormatError('checkpoint: its trainer metadata is not a JSON object');
  for (const key of ['updates', 'skipped', 'optimizerStep'] as const) {
    const n = info[key];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new RecurFormatError(`checkpoint: trainer metadata ${key} must be an integer in [0, 2^53), got ${String(n)}`);
    }
  }
  if (typeof info.optimizer !== 'string') throw new RecurFormatError(`checkpoint: trainer metadata optimizer must be a name, got ${String(info.optimizer)}`);
  // JSON.parse reads 1e999 as Infinity.
  if (typeof info.lr !== 'number' || !Number.isFinite(info.lr) || info.lr < 0) {
    throw new RecurFormatError(`checkpoint: trainer metadata lr must be a finite number ≥ 0, got ${String(info.lr)}`);
  }
  if (info.optimizer !== optimizer.name) {
    throw new RecurFormatError(`checkpoint: it was saved with ${info.optimizer}, this trainer uses ${optimizer.name}`);
  }
  const weights: Record<string, Float32Array> = {};
  const count = optimizer.bufferCount;
  const buffers: (Float32Array | undefined)[] = new Array(count).fill(undefined);
  for (const [name, t] of Object.entries(file.tensors)) {
    if (t.dtype !== 'F32') throw new RecurFormatError(`checkpoint: tensor '${name}' is ${t.dtype}, expected F32`);
    if (name.startsWith('optimizer.')) {
      const index = name.slice('optimizer.'.length);
      if (!/^(0|[1-9][0-9]{0,8})$/.test(index) || Number(index) >= count) {
        throw new RecurFormatError(`checkpoint: tensor '${name}' is no optimizer buffer: this trainer's ${optimizer.name} has ${count} state buffers, optimizer.0…optimizer.${count - 1}`);
      }
      buffers[Number(index)] = float32FromBytes(t.data);
    } else {
      // defineProperty: a tensor named __proto__ must be an entry, not a new prototype.
      Object.defineProperty(weights, name, { value: float32FromBytes(t.data), enumerable: true, writable: true, configurable: true });
    }
  }
  for (let i = 0; i < count; i++) if (!buffers[i]) throw new RecurFormatError(`checkpoint: optimizer buffer ${i} is missing`);
  return {
    model: meta.model, weights, updates: info.updates, skipped: info.skipped,
    optimizer: { name: info.optimizer, step: info.optimizerStep, lr: info.lr, buffers: buffers as Float32Array[] },
  };
}
