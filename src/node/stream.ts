// A Node stream.Transform over a recur Stream (object mode: each chunk is one input of one or
// more whole steps, as Stream.process takes). Back-pressure is Node's: the transform stops
// pulling input while its readable side is full.

import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import type { Stream, StreamInput } from '../stream/stream.js';

// node:stream is loaded on first use, not when recur is imported: it costs ~2 ms of start-up
// that a program not using this adapter should not pay.
let TransformClass: typeof Transform | undefined;

export function nodeTransform(stream: Stream, options: { highWaterMark?: number } = {}): Transform {
  TransformClass ??= (createRequire(import.meta.url)('node:stream') as typeof import('node:stream')).Transform;
  return new TransformClass({
    objectMode: true,
    highWaterMark: options.highWaterMark ?? 16,
    transform(chunk: StreamInput, _encoding, done) {
      let y: Float32Array;
      try { y = stream.process(chunk); } catch (err) { done(err as Error); return; }
      done(null, y);
    },
  });
}
