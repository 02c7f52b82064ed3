// The modules Wrangler would upload for examples/worker, for Miniflare: used by the Worker's
// end-to-end tests (test/e2e/fixtures.ts) and by npm run bench:worker. Needs dist/ (npm run build).

import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const SILERO = join(root, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');

/**
 * The modules Wrangler would upload for examples/worker: its src/*.js, `recur`, `recur/train` and
 * `recur/vad` as the `workerd` export condition resolves them (and, in recur-dist/, the chunks they import),
 * recur-relaxed.wasm and recur-graph.wasm (recur/vad's) as CompiledWasm modules and the model
 * files as Data modules (wrangler.toml's rule), `model` in
 * place of models/char-lstm.safetensors (bytes). workerd resolves a bare `recur` beside the importer, and
 * `recur/train` and `recur/vad` in a folder `recur` beside it.
 */
export function workerModules(model) {
  const here = join(root, 'examples/worker/src');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entry = join(root, pkg.exports['.'].workerd.default);
  const vadEntry = join(root, pkg.exports['./vad'].workerd);
  const trainEntry = join(root, pkg.exports['./train'].default);
  const dist = dirname(entry);
  // The files the three entries import (chunks and wasm) go in a folder of their own, recur-dist/,
  // so their names (index.js…) cannot clash with the example's. `recur` imports them from there;
  // recur/vad and recur/train are one folder down, and an import of the Worker entry is `recur` itself, so there
  // is one copy of every chunk (as in Wrangler's bundle).
  const relink = (file, up) => readFileSync(file, 'utf8').replace(/((?:import|from)\s*)(["'])\.\/([\w.-]+)\2/g,
    (_, keyword, quote, name) => `${keyword}${quote}${name === basename(entry) ? `${up}recur` : `${up}recur-dist/${name}`}${quote}`);
  const list = [
    { type: 'ESModule', path: join(here, 'index.js') },   // the main module first
    ...readdirSync(here).filter((f) => f.endsWith('.js') && f !== 'index.js').map((f) => ({ type: 'ESModule', path: join(here, f) })),
    { type: 'ESModule', path: join(here, 'recur'), contents: relink(entry, './') },
    { type: 'ESModule', path: join(here, 'recur/vad'), contents: relink(vadEntry, '../') },
    { type: 'ESModule', path: join(here, 'recur/train'), contents: relink(trainEntry, '../') },
    { type: 'CompiledWasm', path: join(here, 'recur-dist/recur-relaxed.wasm'), contents: readFileSync(join(dist, 'recur-relaxed.wasm')) },
    { type: 'CompiledWasm', path: join(here, 'recur-dist/recur-graph.wasm'), contents: readFileSync(join(dist, 'recur-graph.wasm')) },
    { type: 'CompiledWasm', path: join(here, 'recur-dist/recur-train-relaxed.wasm'), contents: readFileSync(join(dist, 'recur-train-relaxed.wasm')) },
    { type: 'Data', path: join(root, 'models/char-lstm.safetensors'), contents: model },
    { type: 'Data', path: SILERO, contents: readFileSync(SILERO) },
  ];
  const seen = new Set([basename(entry)]);
  const chunks = (file) => {
    for (const [, , name] of readFileSync(file, 'utf8').matchAll(/(?:import|from)\s*(["'])\.\/([\w-]+\.js)\1/g)) {
      if (seen.has(name)) continue;
      seen.add(name);
      list.push({ type: 'ESModule', path: join(here, 'recur-dist', name), contents: readFileSync(join(dist, name), 'utf8') });
      chunks(join(dist, name));
    }
  };
  chunks(entry);
  chunks(vadEntry);
  chunks(trainEntry);
  return list;
}

/** examples/worker/wrangler.toml's compatibility date. */
export const compatibilityDate = readFileSync(join(root, 'examples/worker/wrangler.toml'), 'utf8').match(/compatibility_date\s*=\s*"([^"]+)"/)[1];

/** Miniflare's options for the Worker as wrangler.toml declares it (no bucket unless `r2`). */
export function workerOptions(model, { persist, r2 = false, bindings = {} } = {}) {
  return {
    modulesRoot: root, modules: workerModules(model), compatibilityDate,
    durableObjects: { SESSIONS: { className: 'Session', useSQLite: true }, FINE_TUNERS: { className: 'FineTuner', useSQLite: true } },
    ...(r2 ? { r2Buckets: ['MODELS'] } : {}),
    ...(persist ? { durableObjectsPersist: join(persist, 'durable-objects'), r2Persist: join(persist, 'r2') } : {}),
    bindings,
    cf: false,   // no request.cf object: Miniflare would fetch one from workers.cloudflare.com
  };
}
