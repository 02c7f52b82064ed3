// What both end-to-end tests need: the shipped char model (or, until it exists, a small one made
// here with saveModel), recur's Node build as the reference, and a static file server for the
// repository on 127.0.0.1.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: plain JavaScript without types (bench/)
import { workerOptions as optionsOfWorker } from '../../bench/worker-modules.js';
import type { MiniflareOptions } from 'miniflare';

export const root = fileURLToPath(new URL('../../', import.meta.url));

type RecurNode = typeof import('../../src/node/index.js') & typeof import('../../src/train/index.js');

/**
 * recur's Node build (dist/node.js, with recur/train: dist/train.js), the reference the Worker and
 * the page are checked against, running the given build of the kernels (dist/recur.wasm or
 * dist/recur-relaxed.wasm) so its numbers can equal theirs bit for bit; the default build for
 * this Node if none is given.
 */
export async function recurNode(build?: 'simd' | 'relaxed'): Promise<RecurNode> {
  const dist = `${root}dist/node.js`;
  if (!existsSync(dist)) throw new Error('dist/ is missing: run npm run build (npm test does it first)');
  const recur: typeof import('../../src/node/index.js') = await import(/* @vite-ignore */ dist);
  const train: typeof import('../../src/train/index.js') = await import(/* @vite-ignore */ `${root}dist/train.js`);
  if (build) await recur.init(readFileSync(`${root}dist/${build === 'relaxed' ? 'recur-relaxed' : 'recur'}.wasm`));
  return { ...recur, ...train };
}

export interface CharModel { file: Uint8Array; vocab: string[]; unknown?: string; shipped: boolean }

const SHIPPED = { f32: `${root}models/char-lstm.safetensors`, int8: `${root}models/char-lstm.int8.safetensors` };

/**
 * models/char-lstm.safetensors (or with 'int8', models/char-lstm.int8.safetensors) with its
 * vocabulary (the .json beside it) if shipped, else a small random one.
 */
export async function charModel(dtype: 'f32' | 'int8' = 'f32'): Promise<CharModel> {
  const shipped = SHIPPED[dtype];
  if (existsSync(shipped)) {
    const { vocab, unknown } = JSON.parse(readFileSync(shipped.replace(/\.safetensors$/, '.json'), 'utf8'));
    return { file: new Uint8Array(readFileSync(shipped)), vocab: Array.from(vocab), unknown, shipped: true };
  }
  const { Sequential, saveModel } = await recurNode();
  const vocab = Array.from(' abcdefghijklmnopqrstuvwxyzTIW.,\n');
  const model = await Sequential.create({ layers: [
    { name: 'embed', type: 'embedding', numEmbeddings: vocab.length, embeddingDim: 16, seed: 1 },
    { name: 'lstm', type: 'lstm', inputSize: 16, hiddenSize: 48, seed: 2 },
    { name: 'head', type: 'linear', inFeatures: 48, outFeatures: vocab.length, seed: 3 },
  ] });
  const file = saveModel(model, { dtype });
  model.dispose();
  return { file, vocab, unknown: ' ', shipped: false };
}

/**
 * Miniflare's options for examples/worker as wrangler.toml declares it: the modules Wrangler would
 * upload (`model` in place of models/char-lstm.safetensors), the Durable Objects (SQLite-backed),
 * the R2 bucket MODELS if `r2`, persisted under `persist` if given (bench/worker-modules.js,
 * shared with npm run bench:worker).
 */
export const workerOptions = (model: Uint8Array, options: { persist?: string; r2?: boolean; bindings?: Record<string, string> } = {}): MiniflareOptions =>
  optionsOfWorker(model, options);

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.wasm': 'application/wasm', '.map': 'application/json', '.css': 'text/css', '.png': 'image/png',
};

/**
 * Serves the repository's files on 127.0.0.1 at an ephemeral port; `extra` answers given paths
 * (a model made by the test) before the disk. close() when done.
 */
export async function serveRepository(extra: Record<string, Uint8Array | string> = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(`${root}${path}`);
    const body = Object.hasOwn(extra, path) ? extra[path]
      : file.startsWith(root) && statSync(file, { throwIfNoEntry: false })?.isFile() ? readFileSync(file) : undefined;
    if (body === undefined) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
