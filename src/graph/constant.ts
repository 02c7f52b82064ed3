// ONNX TensorProtos (initializers, Constant nodes' values) as runtime tensors.

import { RecurFormatError } from '../errors.js';
import { DataType, tensorFloats, tensorInts, typeName, type OnnxTensor } from '../onnx/onnx.js';
import { elemTypeOf, MAX_TENSOR_ELEMENTS, sizeOf, type Tensor } from './tensor.js';

/** An initializer or attribute tensor, decoded and checked against its dims. */
export function tensorFromOnnx(t: OnnxTensor, what: string): Tensor {
  const type = elemTypeOf(t.dataType);
  if (!type) throw new RecurFormatError(`${what}: ${typeName(t.dataType)} tensors are not supported`);
  sizeOf(t.dims, what);                                    // the graph runtime's limit, before anything is decoded
  if (type === 'float') return { type, dims: [...t.dims], data: tensorFloats(t, what) };
  const ints = tensorInts(t, what, MAX_TENSOR_ELEMENTS);
  if (type === 'bool' || t.dataType === DataType.BOOL) return { type: 'bool', dims: [...t.dims], data: Uint8Array.from(ints, (v) => (v ? 1 : 0)) };
  return { type, dims: [...t.dims], data: Float64Array.from(ints) };
}
