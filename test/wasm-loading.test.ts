// recur.wasm can come from anywhere a host has it: bytes, a precompiled module (Workers), a fetch
// Response or a URL. Every source gives the same kernels, so the same seeded model computes the
// same bits; a bad source is a RecurWasmError.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LSTM, RecurError, RecurWasmError, Runtime, init, supportsRelaxedSimd, type WasmSource } from '../src/node/index.js';
import { defaultWasmUrl } from './helpers.js';

// The build the default runtime loads, so both compute the same bits (FMA or not).
const wasmBytes = new Uint8Array(readFileSync(defaultWasmUrl()));

// A seeded two-layer bidirectional LSTM, so every kernel path of a recurrent layer runs.
const OPTIONS = { inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 1234 };
const INPUT = Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.sin(i * 0.7));   // T=4, B=2

async function run(runtime?: Runtime) {
  const lstm = await LSTM.create(OPTIONS, runtime);
  try {
    return lstm.forward(INPUT, { batch: 2 });
  } finally {
    lstm.dispose();
  }
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

// A tiny static server: /recur.wasm is the kernel file, anything else is a 404.
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/recur.wasm') {
      res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': wasmBytes.byteLength });
      res.end(wasmBytes);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

describe('the shared runtime in Node', () => {
  it('init() with no argument loads build/recur.wasm with no set-up call', async () => {
    const runtime = await init();
    expect(runtime).toBeInstanceOf(Runtime);
    expect(runtime.memory).toBeInstanceOf(WebAssembly.Memory);
    expect(await init()).toBe(runtime);   // created once, then shared
  });

  it('create() without a runtime puts the layer in the shared runtime', async () => {
    const runtime = await init();
    const before = runtime.bytesInUse;
    const lstm = await LSTM.create(OPTIONS);
    expect(runtime.bytesInUse).toBeGreaterThan(before);
    lstm.dispose();
    expect(runtime.bytesInUse).toBe(before);
  });
});

describe('Runtime.create(source)', () => {
  let reference: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => { reference = await run(); });

  const sources: [string, () => WasmSource | Promise<WasmSource>][] = [
    ['a Uint8Array of recur.wasm', () => wasmBytes],
    ['a Node Buffer (a Uint8Array view into a larger pool)', () => readFileSync(defaultWasmUrl())],
    ['an ArrayBuffer', () => wasmBytes.slice().buffer],
    ['a precompiled WebAssembly.Module (as in Workers)', () => WebAssembly.compile(wasmBytes)],
    ['a Response', () => new Response(wasmBytes, { headers: { 'content-type': 'application/wasm' } })],
    ['a promise of a Response (an unawaited fetch)', () => fetch(`${base}/recur.wasm`)],
    ['a URL string served over HTTP', () => `${base}/recur.wasm`],
    ['a URL object served over HTTP', () => new URL('/recur.wasm', base)],
  ];

  it.each(sources)('from %s gives the same output as the default runtime', async (_, source) => {
    const runtime = await Runtime.create(await source());
    expect(runtime).toBeInstanceOf(Runtime);
    expect(runtime).not.toBe(await init());
    expect(runtime.bytesInUse).toBe(0);
    const result = await run(runtime);
    expect(result.output).toHaveLength(4 * 2 * 10);
    expect(bits(result.output)).toEqual(bits(reference.output));
    expect(bits(result.h)).toEqual(bits(reference.h));
    expect(bits(result.c!)).toEqual(bits(reference.c!));
  });

  it('each runtime has its own memory: layers in one do not touch another', async () => {
    const a = await Runtime.create(wasmBytes);
    const b = await Runtime.create(wasmBytes);
    expect(a.memory).not.toBe(b.memory);
    const lstm = await LSTM.create(OPTIONS, a);
    expect(a.bytesInUse).toBeGreaterThan(0);
    expect(b.bytesInUse).toBe(0);
    lstm.dispose();
    expect(a.bytesInUse).toBe(0);
  });

  it('one compiled module can back several runtimes', async () => {
    const module = await WebAssembly.compile(wasmBytes);
    const [a, b] = await Promise.all([Runtime.create(module), Runtime.create(module)]);
    expect(a.memory).not.toBe(b.memory);
    expect(bits((await run(a)).output)).toEqual(bits((await run(b)).output));
  });
});

describe('bad sources (RecurWasmError)', () => {
  async function rejection(source: WasmSource): Promise<Error> {
    const error = await Runtime.create(source).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(RecurWasmError);
    expect(error).toBeInstanceOf(RecurError);
    return error as Error;
  }

  it('garbage bytes', async () => {
    const error = await rejection(Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff));
    expect(error.message).toMatch(/^could not compile recur\.wasm: /);
  });

  it('an empty buffer', async () => {
    expect((await rejection(new ArrayBuffer(0))).message).toMatch(/could not compile recur\.wasm/);
  });

  it('a truncated recur.wasm', async () => {
    expect((await rejection(wasmBytes.subarray(0, wasmBytes.length >> 1))).message).toMatch(/could not compile recur\.wasm/);
  });

  it('an HTTP 404 URL, naming the status and the URL', async () => {
    const error = await rejection(`${base}/missing.wasm`);
    expect(error.message).toMatch(/^fetching recur\.wasm failed: HTTP 404 /);
    expect(error.message).toContain(`${base}/missing.wasm`);
  });

  it('a Response that is not ok', async () => {
    const error = await rejection(new Response('gone', { status: 410 }));
    expect(error.message).toMatch(/fetching recur\.wasm failed: HTTP 410/);
  });

  it('a URL nobody is listening on', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await rejection(`http://127.0.0.1:${port}/recur.wasm`);
  });

  it('a valid wasm module that is not recur.wasm', async () => {
    const emptyModule = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    await rejection(emptyModule);
  });
});

describe('the two builds', () => {
  const plain = readFileSync(new URL('../build/recur.wasm', import.meta.url));
  const relaxed = readFileSync(new URL('../build/recur-relaxed.wasm', import.meta.url));

  it('each runtime says which build it runs; relaxed SIMD is the default where the runtime has it', async () => {
    expect((await Runtime.create(plain)).build).toBe('simd');
    expect(supportsRelaxedSimd()).toBe(WebAssembly.validate(relaxed));
    if (supportsRelaxedSimd()) expect((await Runtime.create(relaxed)).build).toBe('relaxed');
    expect((await init()).build).toBe(process.env.RECUR_WASM === 'simd' || !supportsRelaxedSimd() ? 'simd' : 'relaxed');
  });

  it.runIf(supportsRelaxedSimd())('agree to float32 rounding (FMA rounds once where the other rounds twice)', async () => {
    const [a, b] = [await run(await Runtime.create(plain)), await run(await Runtime.create(relaxed))];
    for (const key of ['output', 'h', 'c'] as const) {
      const x = a[key]!, y = b[key]!;
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
      expect(worst).toBeLessThan(1e-6);
    }
  });
});
