// Wasm linear memory is not garbage-collected: a block stays allocated until it is freed. Every
// object that owns blocks frees them in dispose(); one dropped without dispose() (forgotten, or
// lost to an exception) gives them back when the collector reclaims it, through a
// FinalizationRegistry. The registry holds the blocks (an OwnedBlocks), never the owner, which
// it could then never collect; so a block must not reference its owner either.
//
// dispose() stays the way to free memory at a known time: a collection may come late, or, in a
// process that exits first, never.

/** Something that frees its wasm memory: a Workspace, a WasmBlock, a graph Plan, a layer. */
export type Block = { free(): void } | { dispose(): void };

function release(block: Block): void {
  if ('free' in block) block.free(); else block.dispose();
}

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<OwnedBlocks>((blocks) => blocks.releaseCollected())
  : undefined;

/** The wasm blocks one object owns, freed by its dispose() or, failing that, when it is collected. */
export class OwnedBlocks {
  private readonly blocks = new Set<Block>();

  /** `owner`'s collection frees whatever blocks this holds then. */
  constructor(owner: object) {
    registry?.register(owner, this, this);
  }

  add<B extends Block>(block: B): B {
    this.blocks.add(block);
    return block;
  }

  /** Frees one block now (one the owner replaces: a stream's io grown for more steps). */
  free(block: Block): void {
    if (this.blocks.delete(block)) release(block);
  }

  /** Forgets a block without freeing it (the owner freed it itself). */
  forget(block: Block): void { this.blocks.delete(block); }

  /** dispose(): frees every block now, and the owner's collection will free nothing. */
  freeAll(): void {
    registry?.unregister(this);
    const blocks = [...this.blocks];
    this.blocks.clear();
    for (const b of blocks) release(b);
  }

  /** @internal The owner was collected. A finalizer must not throw (it would be an uncaught error). */
  releaseCollected(): void {
    const blocks = [...this.blocks];
    this.blocks.clear();
    for (const b of blocks) {
      try { release(b); } catch { /* already freed by a path that did not say so: nothing to give back */ }
    }
  }
}
