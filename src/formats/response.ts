// Reading a fetch Response's body without trusting it: a server (or a hostile ReadableStream)
// can send a body that never ends. The body is read chunk by chunk and refused as soon as it
// passes the hard limit or, for a format that declares its own length (a safetensors header
// does), as soon as it passes that length, so an endless body costs one chunk past what the
// file can be, not the limit.

import { RecurFormatError } from '../errors.js';

export interface ReadLimits {
  /** Most bytes accepted; more is a RecurFormatError (checked against content-length first). */
  maxBytes: number;
  /** Who reads, for messages ("loadModel", "Silero model"). */
  who: string;
  /** The option that raises maxBytes, for messages. */
  option: string;
  /**
   * The file's length from its first bytes: `{ need }` to be called again once that many bytes
   * are in, `{ length }` once it is known. Throws RecurFormatError when they show a malformed file.
   */
  lengthOf?: (prefix: Uint8Array) => { need: number } | { length: number };
  /** The format named in the message when the body runs past the length it declares. */
  format?: string;
}

export async function readResponse(response: Response, limits: ReadLimits): Promise<Uint8Array> {
  const { maxBytes, who, option } = limits;
  const where = response.url || 'the response';
  const tooLarge = (bytes: number) => new RecurFormatError(`${who}: ${where} is ${bytes} bytes, more than ${option} (${maxBytes}); raise the ${option} option to accept it`);
  if (!response.ok) throw new RecurFormatError(`${who}: fetching ${where} failed: HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(declared);
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge(bytes.byteLength);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let need = limits.lengthOf ? 0 : Infinity;     // bytes in before lengthOf is asked (again)
  let length = Infinity;                         // the length the file declares, once known
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new RecurFormatError(`${who}: reading ${where} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      const { done, value } = chunk;
      if (done) break;
      if (!(value instanceof Uint8Array)) throw new RecurFormatError(`${who}: ${where} gave a body chunk that is not bytes (${typeof value})`);
      total += value.byteLength;
      chunks.push(value);
      if (total > maxBytes) throw tooLarge(total);
      if (total >= need) {
        const known = limits.lengthOf!(concat(chunks, total));
        if ('need' in known) need = known.need;
        else {
          need = Infinity;
          length = known.length;
          if (length > maxBytes) throw tooLarge(length);
        }
      }
      if (total > length) {
        throw new RecurFormatError(`${who}: ${where} runs past the ${length} bytes its ${limits.format ?? 'file'} header declares (data appended, or a body that does not end)`);
      }
    }
  } catch (err) {
    reader.cancel().catch(() => { /* the stream's own error: ours says more */ });
    throw err;
  }
  return concat(chunks, total);
}

/** The chunks as one array (the chunk itself when there is one); the list is replaced by it. */
function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
  chunks.length = 0;
  chunks.push(bytes);
  return bytes;
}
