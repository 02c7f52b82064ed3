// What both end-to-end tests need: the shipped char model (or, until it exists, a small one made
// here with saveModel), recur's Node build as the reference, and a static file server for the
// repository on 127.0.0.1.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * recur's Node build (dist/node.js), the reference the Worker and the page are checked against,
 * running the given build of the kernels (dist/recur.wasm or dist/recur-relaxed.wasm) so its
 * numbers can equal theirs bit for bit; the default build for this Node if none is given.
 */
export async function recurNode(build?: 'simd' | 'relaxed'): Promise<typeof import('../../src/node/index.js')> {
  const dist = `${root}dist/node.js`;
  if (!existsSync(dist)) throw new Error('dist/ is missing: run npm run build (npm test does it first)');
  const recur: typeof import('../../src/node/index.js') = await import(/* @vite-ignore */ dist);
  if (build) await recur.init(readFileSync(`${root}dist/${build === 'relaxed' ? 'recur-relaxed' : 'recur'}.wasm`));
  return recur;
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

const SILERO = join(root, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');

/**
 * The modules Wrangler would upload for examples/worker: its src/*.js, `recur` and `recur/vad` as
 * the `workerd` export condition resolves them (and the chunks they import), recur-relaxed.wasm as
 * a CompiledWasm module and the model files as Data modules (wrangler.toml's rule), `model` in
 * place of models/char-lstm.safetensors. workerd resolves a bare `recur` beside the importer, and
 * `recur/vad` in a folder `recur` beside it.
 */
export function workerModules(model: Uint8Array): object[] {
  const here = join(root, 'examples/worker/src');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entry = join(root, pkg.exports['.'].workerd.default);
  const vadEntry = join(root, pkg.exports['./vad'].workerd);
  // recur/vad is one folder down: its imports of the files beside it go up one, and its import
  // of the Worker entry is `recur` itself, so there is one copy of every chunk (as in Wrangler's bundle).
  const vadSource = readFileSync(vadEntry, 'utf8').replace(/((?:import|from)\s*)(["'])\.\/([\w.-]+)\2/g,
    (_, keyword: string, quote: string, name: string) => `${keyword}${quote}${name === basename(entry) ? '../recur' : `../${name}`}${quote}`);
  const list: object[] = [
    { type: 'ESModule', path: join(here, 'index.js') },   // the main module first
    ...readdirSync(here).filter((f) => f.endsWith('.js') && f !== 'index.js').map((f) => ({ type: 'ESModule', path: join(here, f) })),
    { type: 'ESModule', path: join(here, 'recur'), contents: readFileSync(entry, 'utf8') },
    { type: 'ESModule', path: join(here, 'recur/vad'), contents: vadSource },
    { type: 'CompiledWasm', path: join(here, 'recur-relaxed.wasm'), contents: readFileSync(join(dirname(entry), 'recur-relaxed.wasm')) },
    { type: 'Data', path: join(root, 'models/char-lstm.safetensors'), contents: model },
    { type: 'Data', path: SILERO, contents: readFileSync(SILERO) },
  ];
  const seen = new Set<string>([basename(entry)]);
  const chunks = (file: string) => {
    for (const [, , name] of readFileSync(file, 'utf8').matchAll(/(?:import|from)\s*(["'])\.\/([\w-]+\.js)\1/g)) {
      if (seen.has(name)) continue;
      seen.add(name);
      list.push({ type: 'ESModule', path: join(here, name), contents: readFileSync(join(dirname(entry), name), 'utf8') });
      chunks(join(dirname(entry), name));
    }
  };
  chunks(entry);
  chunks(vadEntry);
  return list;
}

/** examples/worker/wrangler.toml's compatibility date. */
export const workerCompatibilityDate = readFileSync(join(root, 'examples/worker/wrangler.toml'), 'utf8').match(/compatibility_date\s*=\s*"([^"]+)"/)![1];

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
