// stream() and streamGroup() of a single LSTM, GRU or RNN layer. Streams are built on layers
// (src/stream imports src/layers, never the reverse: test/architecture.test.ts), so the methods
// are added to Recurrent here, where both are known. src/core.ts and src/model/sequential.ts
// import this module, so every entry point has them.

import { RecurDisposedError } from '../errors.js';
import { Recurrent } from '../layers/recurrent.js';
import { StreamGroup, type StreamGroupOptions } from './group.js';
import type { StreamLayer } from './program.js';
import { Stream, type StreamOptions } from './stream.js';

declare module '../layers/recurrent.js' {
  interface Recurrent {
    /** A step-by-step session over this layer (unidirectional only); step() returns the top layer's h. */
    stream(options?: StreamOptions): Stream;
    /** Many independent streams stepped together in one kernel call. */
    streamGroup(options: StreamGroupOptions): StreamGroup;
  }
}

function alive(layer: Recurrent): void {
  if (layer.isDisposed) throw new RecurDisposedError(`${layer.type}: used after dispose()`);
}

Recurrent.prototype.stream = function stream(this: Recurrent, options: StreamOptions = {}): Stream {
  alive(this);
  return new Stream(this.runtime, [{ name: '', layer: this as unknown as StreamLayer }], options);
};

Recurrent.prototype.streamGroup = function streamGroup(this: Recurrent, options: StreamGroupOptions): StreamGroup {
  alive(this);
  return new StreamGroup(this.runtime, [{ name: '', layer: this as unknown as StreamLayer }], options);
};
