// A Node stream.Transform over a recur Stream (object mode: each chunk is one input of one or
// more whole steps, as Stream.process takes). Back-pressure is Node's: the transform stops
// pulling input while its readable side is full.

import { Transform } from 'node:stream';
import type { Stream, StreamInput } from '../stream/stream.js';

export function nodeTransform(stream: Stream, options: { highWaterMark?: number } = {}): Transform {
  return new Transform({
    objectMode: true,
    highWaterMark: options.highWaterMark ?? 16,
    transform(chunk: StreamInput, _encoding, done) {
      let y: Float32Array;
      try { y = stream.process(chunk); } catch (err) { done(err as Error); return; }
      done(null, y);
    },
  });
}
