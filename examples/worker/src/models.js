// The weights this isolate answers with: loaded once per isolate at first use, shared by every
// Durable Object in it, and replaced when a newer version is published.
//
// Where they come from: the R2 bucket bound as MODELS (wrangler.toml), key `char-lstm.safetensors`
// for everyone and `users/<id>.safetensors` for a user's own fine-tune, each object carrying its
// version in customMetadata.version; with no bucket, or no object yet, the file bundled with the
// Worker (version 0). An isolate asks R2 whether a newer version exists at most every
// MODEL_TTL_MS (a var, default 5000): a HEAD, not the file, and the file only when it changed.
//
// Sessions hold no stream of their own, only its saveState() bytes (2 kB for the char model): a
// step loads them into this model's one scratch stream, steps, and saves them again, with no
// await in between, so one stream per model serves every session of the isolate and an evicted
// object leaves no wasm memory behind.

import { loadModel } from 'recur';
import { Trainer } from 'recur/train';
import bundledFile from '../../../models/char-lstm.safetensors';   // a Data module: ArrayBuffer

export const BASE_KEY = 'char-lstm.safetensors';
const bundled = new Uint8Array(bundledFile);
export const TRAINER_OPTIONS = { loss: 'crossEntropy', optimizer: 'adam', lr: 3e-3, clipNorm: 1 };

/** R2 key of a user's fine-tuned weights (and `.ckpt` beside it: the trainer's checkpoint). */
export const userKey = (user) => `users/${encodeURIComponent(user)}.safetensors`;
export const checkpointKey = (key) => key.replace(/\.safetensors$/, '.ckpt');

const cache = new Map();     // R2 key → { key, version, model, stream, checkedAt }
const loading = new Map();   // R2 key → the Promise of the entry being fetched
const absent = new Map();    // R2 key → when R2 last said it has no such object (Date.now())
let loaded = 0;              // models made by weights() and not yet disposed (GET / reports it)

// Loaded at startup (whose CPU limit is 1 s, not a request's 10 ms): the base model as bundled,
// and a spare copy that the first fine-tuner of this isolate takes (sparing its first request the
// ~2–4 ms of loading one), on which one training step runs now with a learning rate of 0 (the
// weights stay bit for bit the file's), so that the first fine-tune request finds the training
// kernels compiled and the JIT warm: its training takes ~5 ms instead of ~20 (npm run bench:worker).
const started = performance.now();
cache.set(BASE_KEY, weights(BASE_KEY, 0, await loadModel(bundled)));
let spare = await loadModel(bundled);
{ // warm-up (npm run bench:worker removes this block to measure without it)
  const trainer = new Trainer(spare, { ...TRAINER_OPTIONS, lr: 0 });
  const ids = Int32Array.from({ length: 9 }, (_, i) => i % 4);
  trainer.step(ids.subarray(0, 8), ids.subarray(1, 9), { seqLen: 8, batch: 1 });
  trainer.dispose();
}
export const warmUpMs = performance.now() - started;

/** The bundled weights, loaded: the spare copy the first time, a new one after that. */
export async function bundledModel() {
  const model = spare ?? await loadModel(bundled);
  spare = undefined;
  return model;
}

/** The base model as this isolate has it now (for GET / and the vocabulary size). */
export const baseModel = () => cache.get(BASE_KEY).model;

function weights(key, version, model) {
  loaded++;
  return { key, version, model, stream: model.stream(), checkedAt: Date.now() };
}

/**
 * The weights that answer for `user` (their own fine-tune if one is published, else everyone's):
 * { key, version, model, stream, disposed }. A newer version replaces them and disposes them
 * later: check `disposed` and use them in one synchronous stretch (session.js).
 */
export async function weightsFor(env, user) {
  if (user !== undefined) {
    const own = await current(env, userKey(user));
    if (own) return own;
  }
  return current(env, BASE_KEY);
}

async function current(env, key) {
  const entry = cache.get(key);
  const ttl = Number(env.MODEL_TTL_MS ?? 5000);
  if (entry && (!env.MODELS || Date.now() - entry.checkedAt < ttl)) return entry;
  if (!env.MODELS) return undefined;                       // a user's weights need the bucket
  if (!entry && Date.now() - (absent.get(key) ?? -Infinity) < ttl) return undefined;
  let pending = loading.get(key);                          // one request to R2 for the isolate
  if (!pending) {
    pending = refresh(env, key).finally(() => loading.delete(key));
    loading.set(key, pending);
  }
  return pending;
}

async function refresh(env, key) {
  const head = await env.MODELS.head(key);
  const entry = cache.get(key);
  const version = Number(head?.customMetadata?.version ?? 0);
  if (!head || (entry && version <= entry.version)) {
    if (entry) entry.checkedAt = Date.now();
    else absent.set(key, Date.now());                      // a user without weights: ask again after the TTL
    return entry;
  }
  absent.delete(key);
  const object = await env.MODELS.get(key);
  if (!object) return entry;                               // deleted since the HEAD
  return install(key, Number(object.customMetadata?.version ?? version), new Uint8Array(await object.arrayBuffer()));
}

/**
 * Makes `bytes` this isolate's weights for `key` at `version` (the fine-tuner calls this when it
 * publishes, so its own isolate needs no round trip to R2). Older versions are never installed.
 */
export async function install(key, version, bytes) {
  const model = await loadModel(bytes);
  const old = cache.get(key);
  if (old && old.version >= version) { model.dispose(); return old; }
  const entry = weights(key, version, model);
  cache.set(key, entry);
  // Disposed a little later, and marked: a step that was handed the old weights may get them only
  // after this (workerd delivers a promise another request resolved through that request's own
  // event loop), so it checks `disposed` just before using them and asks again if set.
  if (old) {
    setTimeout(() => {
      old.disposed = true;
      old.stream.dispose();
      old.model.dispose();
      loaded--;
    }, 1000);
  }
  return entry;
}

/** What this isolate holds, for GET /: the weights in use, and how many models are loaded. */
export function cacheInfo() {
  return { weights: [...cache.values()].map(({ key, version }) => ({ key, version })), loaded };
}
