// A tape: what a training forward saved, and the one backward pass that consumes it.
// Like PyTorch without retain_graph, backward() runs once and frees the saved activations;
// dispose() frees them without a backward pass.

import { RecurError } from '../errors.js';

export class Tape<Upstream, Result> {
  private done = false;

  /** @internal */
  constructor(private readonly run: (upstream: Upstream) => Result, private readonly release: () => void) {}

  backward(upstream?: Upstream): Result {
    if (this.done) throw new RecurError('tape: backward() runs once per training forward (its activations are then freed)');
    this.done = true;
    try { return this.run(upstream as Upstream); } finally { this.release(); }
  }

  dispose(): void {
    if (!this.done) { this.done = true; this.release(); }
  }
}
