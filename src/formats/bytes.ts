// Typed arrays from and to the little-endian bytes of a file. Views when the bytes are aligned and
// the machine is little-endian (every engine recur targets), copies otherwise.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float32 values of little-endian bytes (length a multiple of 4). */
export function float32FromBytes(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >>> 2;
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** uint16 values of little-endian bytes (length a multiple of 2). */
export function uint16FromBytes(bytes: Uint8Array): Uint16Array {
  const n = bytes.byteLength >>> 1;
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Uint16Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
  return out;
}

/** Little-endian bytes of a Float32Array or Uint16Array (a view on little-endian machines). */
export function littleEndianBytes(values: Float32Array | Uint16Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  if (values instanceof Float32Array) values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else values.forEach((v, i) => view.setUint16(2 * i, v, true));
  return out;
}
