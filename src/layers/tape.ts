// A tape: what a training forward saved, and the one backward pass that consumes it.
// Like PyTorch without retain_graph, backward() runs once and frees the saved activations;
// dispose() frees them without a backward pass; a tape dropped with neither frees them when it is
// garbage-collected.

import { RecurError } from '../errors.js';
import { OwnedBlocks } from '../runtime/reclaim.js';

export class Tape<Upstream, Result> {
  private done = false;
  private readonly owned = new OwnedBlocks(this);

  /** @internal `release` frees the saved activations; it must not reference the tape. */
  constructor(private readonly run: (upstream: Upstream) => Result, release: () => void) {
    this.owned.add({ free: release });
  }

  backward(upstream?: Upstream): Result {
    if (this.done) throw new RecurError('tape: backward() runs once per training forward (its activations are then freed)');
    this.done = true;
    try { return this.run(upstream as Upstream); } finally { this.owned.freeAll(); }
  }

  dispose(): void {
    if (!this.done) { this.done = true; this.owned.freeAll(); }
  }
}
