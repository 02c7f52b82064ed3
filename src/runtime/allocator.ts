// First-fit allocator over a range of wasm linear memory, kept entirely on the JS side (the
// kernels never allocate). Blocks are ALIGN-byte aligned so f32x4 loads never straddle cache
// lines; freed blocks are coalesced with their neighbours and with the top of the heap, so a
// create/forward/dispose cycle leaves memory exactly as it found it.

export const ALIGN = 64;

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

export class Allocator {
  private free: { start: number; size: number }[] = [];   // sorted by start, never adjacent
  private used = new Map<number, number>();                // ptr → size
  private top: number;                                     // first byte never handed out

  /** base: first usable byte; grow(minEnd) must make memory at least minEnd bytes long. */
  constructor(base: number, private readonly grow: (minEnd: number) => void) {
    this.top = roundUp(Math.max(base, ALIGN), ALIGN);
  }

  alloc(bytes: number): number {
    const size = roundUp(Math.max(bytes, 1), ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i];
      if (block.size < size) continue;
      const ptr = block.start;
      if (block.size === size) this.free.splice(i, 1);
      else { block.start += size; block.size -= size; }
      this.used.set(ptr, size);
      return ptr;
    }
    const ptr = this.top;
    this.grow(ptr + size);
    this.top = ptr + size;
    this.used.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`recur allocator: ${ptr} is not an allocated block`);
    this.used.delete(ptr);
    // Insert in address order, then merge with the neighbours it touches.
    let i = 0;
    while (i < this.free.length && this.free[i].start < ptr) i++;
    this.free.splice(i, 0, { start: ptr, size });
    const next = this.free[i + 1];
    if (next && ptr + size === next.start) { this.free[i].size += next.size; this.free.splice(i + 1, 1); }
    const prev = this.free[i - 1];
    if (prev && prev.start + prev.size === ptr) { prev.size += this.free[i].size; this.free.splice(i, 1); i--; }
    const last = this.free[this.free.length - 1];
    if (last && last.start + last.size === this.top) { this.top = last.start; this.free.pop(); }
  }

  /** Bytes handed out and not yet released. */
  get bytesInUse(): number {
    let n = 0;
    for (const size of this.used.values()) n += size;
    return n;
  }

  /** One past the highest byte ever in use right now (the heap's high-water mark). */
  get end(): number { return this.top; }
}
