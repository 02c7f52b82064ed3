// Smaller weights for inference.
//
//   int8: the matrices of recurrent and linear layers (W_ih, W_hh, Linear weight) are stored as
//         int8 with one f32 scale per output row, s = max|w_row| / 127, q = round(w / s), and the
//         kernels multiply them directly (assembly/quant.ts): 4× less memory for them and 4× fewer
//         bytes to stream per step. Activations are quantized per row to int16 on the fly; biases,
//         peepholes, embeddings and the recurrent state stay f32. Inference only.
//   f16:  every weight rounded to the nearest half-precision value (computed in f32); saveModel
//         with dtype 'f16' then stores them in half the bytes, losslessly.

import { RecurOptionError } from '../errors.js';
import { Sequential, type LayerDescription } from '../model/sequential.js';
import type { Runtime } from '../runtime/runtime.js';
import { float16ToFloat32, float32ToFloat16 } from './f16.js';

export type QuantizeDtype = 'int8' | 'f16';

/** The description of the int8 version of a model: its recurrent and linear layers marked. */
export function int8Description(layers: LayerDescription[]): LayerDescription[] {
  return layers.map((d) => (d.type === 'embedding' ? d : { ...d, quantize: 'int8' } as LayerDescription));
}

/** Whether a state-dict tensor of a layer is one of the matrices int8 stores. */
export function isInt8Matrix(layer: LayerDescription, tensor: string): boolean {
  if (layer.type === 'linear') return tensor === 'weight';
  if (layer.type === 'embedding') return false;
  return /^weight_(ih|hh)_l\d+(_reverse)?$/.test(tensor);
}

/** A new model with the same architecture and weights in the given form; the original is untouched. */
export async function quantize(model: Sequential, dtype: QuantizeDtype, runtime?: Runtime): Promise<Sequential> {
  if (!(model instanceof Sequential)) throw new RecurOptionError('quantize: model must be a Sequential');
  if (dtype !== 'int8' && dtype !== 'f16') throw new RecurOptionError(`quantize: dtype must be 'int8' or 'f16', got ${JSON.stringify(dtype)}`);
  const { layers } = model.toJSON();
  const state = model.stateDict();
  if (dtype === 'f16') {
    for (const [name, values] of Object.entries(state)) state[name] = float16ToFloat32(float32ToFloat16(values, name));
  }
  const out = await Sequential.create({ layers: dtype === 'int8' ? int8Description(layers) : layers }, runtime ?? model.runtime);
  try {
    out.loadStateDict(state);
  } catch (err) {
    out.dispose();
    throw err;
  }
  return out;
}

/** Per-row int8 quantization of a [rows, cols] matrix, exactly as the kernels' packing does it. */
export function quantizeRows(values: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array } {
  const q = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(values[r * cols + c]));
    const s = Math.fround(max / 127);
    scales[r] = s;
    for (let c = 0; c < cols; c++) {
      const v = s > 0 ? Math.round(values[r * cols + c] / s) : 0;
      q[r * cols + c] = Math.max(-127, Math.min(127, v));
    }
  }
  return { q, scales };
}
