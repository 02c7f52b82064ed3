// The adapters put a Stream where data already flows: an async iterable (readable()), a WHATWG
// TransformStream (transform()) and a Node stream.Transform (nodeTransform()). Each chunk is one
// step, or several whole steps back to back, and its output is what step() or steps() would
// give. The adapters keep back-pressure: a slow consumer holds the source back. A bad chunk
// rejects with the RecurShapeError that step() would throw.

import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RecurShapeError, Sequential, nodeTransform, type Stream } from '../src/node/index.js';

const B = 2, I = 3, H = 5;

function inputs(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2);
}

/** `count` one-step chunks of batch B. */
const chunksOf = (count: number, seed: number) => {
  const x = inputs(count * B * I, seed);
  return Array.from({ length: count }, (_, t) => x.slice(t * B * I, (t + 1) * B * I));
};

const model = () => LSTM.create({ inputSize: I, hiddenSize: H, numLayers: 2, seed: 1 });

/** What step() gives for each chunk, from a fresh stream of the same model. */
function stepped(s: Stream, chunks: Float32Array[]): Float32Array[] {
  return chunks.map((x) => s.step(x));
}

/** Lets queued promise jobs and I/O callbacks run, so streams can pull as far as they will. */
const settle = async (rounds = 20) => { for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r)); };

/** A pull-based WHATWG ReadableStream over `chunks` that counts its pulls (ReadableStream.from is Node ≥ 20.6). */
function countingSource<T>(chunks: T[], highWaterMark: number) {
  const counter = { pulls: 0, cancelled: undefined as unknown };
  let i = 0;
  const stream = new ReadableStream<T>({
    pull(controller) {
      counter.pulls++;
      if (i < chunks.length) controller.enqueue(chunks[i++]); else controller.close();
    },
    cancel(reason) { counter.cancelled = reason; },
  }, { highWaterMark });
  return { stream, counter };
}

async function collect<T>(readable: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

describe('readable(source)', () => {
  it('over an async generator gives what step() gives, chunk by chunk', async () => {
    const layer = await model();
    const chunks = chunksOf(12, 1);
    const expected = stepped(layer.stream({ batch: B }), chunks);
    async function* source() { for (const c of chunks) { await null; yield c; } }
    const got: Float32Array[] = [];
    for await (const y of layer.stream({ batch: B }).readable(source())) got.push(y);
    expect(got).toEqual(expected);
    layer.dispose();
  });

  it('a chunk of several steps gives steps()\'s output for them', async () => {
    const layer = await model();
    const x = inputs(10 * B * I, 2);
    const lengths = [1, 3, 4, 2];           // steps per chunk
    const chunks: Float32Array[] = [];
    for (let at = 0, k = 0; k < lengths.length; at += lengths[k] * B * I, k++) chunks.push(x.slice(at, at + lengths[k] * B * I));

    const ref = layer.stream({ batch: B });
    const expected = chunks.map((c, k) => ref.steps(c, lengths[k]));
    const got: Float32Array[] = [];
    for await (const y of layer.stream({ batch: B }).readable(chunks)) got.push(y);   // a plain iterable works too
    expect(got).toEqual(expected);
    // …which is step() after step(), concatenated.
    const flat = stepped(layer.stream({ batch: B }), Array.from({ length: 10 }, (_, t) => x.slice(t * B * I, (t + 1) * B * I)));
    expect(Float32Array.from(got.flatMap((y) => Array.from(y)))).toEqual(Float32Array.from(flat.flatMap((y) => Array.from(y))));
    layer.dispose();
  });

  it('reads the source only as far as the consumer has read', async () => {
    const layer = await model();
    const chunks = chunksOf(20, 3);
    let yielded = 0;
    async function* source() { for (const c of chunks) { yielded++; yield c; } }
    const outputs = layer.stream({ batch: B }).readable(source());
    for (let consumed = 1; consumed <= 5; consumed++) {
      await outputs.next();
      await settle(3);
      expect(yielded).toBe(consumed);
    }
    await outputs.return(undefined);
    layer.dispose();
  });

  it('with reuseOutput: true, every output is still its own array', async () => {
    const layer = await model();
    const chunks = chunksOf(5, 4);
    const expected = stepped(layer.stream({ batch: B }), chunks);
    const got: Float32Array[] = [];
    for await (const y of layer.stream({ batch: B, reuseOutput: true }).readable(chunks)) got.push(y);
    expect(got).toEqual(expected);
    expect(new Set(got).size).toBe(5);
    layer.dispose();
  });

  it('token ids through a Sequential', async () => {
    const m = await Sequential.create({ layers: [
      { name: 'embed', type: 'embedding', numEmbeddings: 7, embeddingDim: 4, seed: 1 },
      { name: 'gru', type: 'gru', inputSize: 4, hiddenSize: 6, seed: 2 }] });
    const chunks = [Int32Array.of(1, 2), Int32Array.of(3, 4, 5, 6), Int32Array.of(0, 6)];
    const ref = m.stream({ batch: 2 });
    const expected = [ref.step(chunks[0]), ref.steps(chunks[1], 2), ref.step(chunks[2])];
    const got: Float32Array[] = [];
    for await (const y of m.stream({ batch: 2 }).readable(chunks)) got.push(y);
    expect(got).toEqual(expected);
    m.dispose();
  });

  it('a chunk that is not whole steps rejects with RecurShapeError after the outputs before it', async () => {
    const layer = await model();
    const chunks = chunksOf(3, 5);
    const bad = [chunks[0], chunks[1], new Float32Array(B * I + 1), chunks[2]];
    const got: Float32Array[] = [];
    let error: unknown;
    try {
      for await (const y of layer.stream({ batch: B }).readable(bad)) got.push(y);
    } catch (err) { error = err; }
    expect(error).toBeInstanceOf(RecurShapeError);
    expect((error as Error).message).toMatch(/whole steps of batch·inputSize = 6 values, got 7/);
    expect(got).toEqual(stepped(layer.stream({ batch: B }), chunks.slice(0, 2)));
    layer.dispose();
  });

  it('an undefined or null chunk rejects with RecurShapeError, as step() does', async () => {
    const layer = await model();
    const s = layer.stream({ batch: B });
    expect(() => s.step(undefined as never)).toThrow(RecurShapeError);
    for (const bad of [undefined, null]) {
      const run = async () => { for await (const _ of s.readable([bad as never])) { /* nothing */ } };
      await expect(run()).rejects.toThrow(RecurShapeError);
    }
    layer.dispose();
  });

  it('an empty chunk or an Int32Array for a float model rejects with RecurShapeError', async () => {
    const layer = await model();
    for (const bad of [new Float32Array(0), new Int32Array(B * I)]) {
      const run = async () => { for await (const _ of layer.stream({ batch: B }).readable([bad as Float32Array])) { /* nothing */ } };
      await expect(run()).rejects.toThrow(RecurShapeError);
    }
    layer.dispose();
  });
});

describe('transform(): a WHATWG TransformStream', () => {
  it('source.pipeThrough(transform()) gives what step() gives, including multi-step chunks', async () => {
    const layer = await GRU.create({ inputSize: I, hiddenSize: H, seed: 2 });
    const chunks = chunksOf(9, 6);
    const expected = stepped(layer.stream({ batch: B }), chunks);
    const { stream: source } = countingSource(chunks, 1);
    expect(await collect(source.pipeThrough(layer.stream({ batch: B }).transform()))).toEqual(expected);

    const joined = [chunks[0], Float32Array.from([...chunks[1], ...chunks[2], ...chunks[3]]), chunks[4]];
    const ref = layer.stream({ batch: B });
    const expectedJoined = [ref.step(chunks[0]), ref.steps(joined[1], 3), ref.step(chunks[4])];
    expect(await collect(countingSource(joined, 0).stream.pipeThrough(layer.stream({ batch: B }).transform()))).toEqual(expectedJoined);
    layer.dispose();
  });

  it.each([0, 1])('back-pressure: a slow consumer keeps the source (highWaterMark %i) at most a few chunks ahead', async (highWaterMark) => {
    const layer = await model();
    const chunks = chunksOf(60, 7);
    const expected = stepped(layer.stream({ batch: B }), chunks);
    const { stream: source, counter } = countingSource(chunks, highWaterMark);
    const reader = source.pipeThrough(layer.stream({ batch: B }).transform()).getReader();

    await settle();
    expect(counter.pulls).toBeLessThanOrEqual(4);          // nothing read yet
    const got: Float32Array[] = [];
    let ahead = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got.push(value);
      await settle(5);                                       // the consumer is slow
      ahead = Math.max(ahead, counter.pulls - got.length);
    }
    expect(got).toEqual(expected);
    expect(ahead).toBeLessThanOrEqual(4);
    layer.dispose();
  });

  it('a bad chunk errors the output with RecurShapeError and cancels the source with it', async () => {
    const layer = await model();
    const chunks = chunksOf(3, 8);
    const { stream: source, counter } = countingSource([chunks[0], new Float32Array(4), chunks[1], chunks[2]], 0);
    const reader = source.pipeThrough(layer.stream({ batch: B }).transform()).getReader();
    expect((await reader.read()).value).toEqual(stepped(layer.stream({ batch: B }), [chunks[0]])[0]);
    const error = await reader.read().then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(RecurShapeError);
    await settle();
    expect(counter.cancelled).toBe(error);
    layer.dispose();
  });
});

describe('nodeTransform(stream): a Node stream.Transform', () => {
  /** A Writable that keeps what it is given; `slow` completes each write only after other I/O ran. */
  function sink(slow: boolean, onWrite: (y: Float32Array) => void = () => {}) {
    const got: Float32Array[] = [];
    const writable = new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(y: Float32Array, _encoding, done) {
        got.push(y);
        onWrite(y);
        if (slow) void settle(10).then(() => done()); else done();
      },
    });
    return { writable, got };
  }

  it('pipeline(Readable.from(chunks), nodeTransform(stream), sink) gives what step() and steps() give', async () => {
    const layer = await model();
    const chunks = chunksOf(10, 9);
    const x = chunks.slice(6);
    const fourSteps = Float32Array.from(x.flatMap((c) => Array.from(c)));
    const ref = layer.stream({ batch: B });
    const expected = [...stepped(ref, chunks.slice(0, 6)), ref.steps(fourSteps, 4)];
    const { writable, got } = sink(false);
    await pipeline(Readable.from([...chunks.slice(0, 6), fourSteps]), nodeTransform(layer.stream({ batch: B })), writable);
    expect(got).toEqual(expected);
    layer.dispose();
  });

  it.each([
    ['highWaterMark 1 everywhere', 1, 6],
    ['default highWaterMarks (16)', undefined, 3 * 16 + 6],
  ] as const)('back-pressure, %s: a slow sink keeps the source a bounded number of chunks ahead', async (_name, highWaterMark, bound) => {
    const layer = await model();
    const chunks = chunksOf(150, 10);
    const expected = stepped(layer.stream({ batch: B }), chunks);
    let read = 0, written = 0, ahead = 0;
    function* source() { for (const c of chunks) { read++; ahead = Math.max(ahead, read - written); yield c; } }
    const { writable, got } = sink(true, () => { written++; ahead = Math.max(ahead, read - written); });
    await pipeline(
      Readable.from(source(), highWaterMark === undefined ? {} : { highWaterMark }),
      nodeTransform(layer.stream({ batch: B }), highWaterMark === undefined ? {} : { highWaterMark }),
      writable);
    expect(got).toEqual(expected);
    expect(ahead).toBeGreaterThan(0);
    expect(ahead).toBeLessThanOrEqual(bound);
    layer.dispose();
  });

  it('a bad chunk rejects the pipeline with RecurShapeError after the outputs before it', async () => {
    const layer = await model();
    const chunks = chunksOf(4, 11);
    const { writable, got } = sink(false);
    const bad = [chunks[0], chunks[1], new Float32Array(5), chunks[2], chunks[3]];
    const error = await pipeline(Readable.from(bad), nodeTransform(layer.stream({ batch: B })), writable).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(RecurShapeError);
    expect((error as Error).message).toMatch(/got 5/);
    expect(got).toEqual(stepped(layer.stream({ batch: B }), chunks.slice(0, 2)));
    layer.dispose();
  });

  it('a wrongly typed chunk rejects the pipeline with RecurShapeError', async () => {
    const layer = await model();
    const { writable } = sink(false);
    await expect(pipeline(Readable.from([new Int32Array(B * I)]), nodeTransform(layer.stream({ batch: B })), writable))
      .rejects.toThrow(RecurShapeError);
    layer.dispose();
  });
});
