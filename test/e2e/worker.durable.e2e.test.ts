// examples/worker deployed as it is meant to be, in workerd (Miniflare): sessions in SQLite-backed
// Durable Objects and the weights in R2, both persisted to a temporary directory. Many sessions
// step, fine-tunes are published (by the alarm, by a user's request), the runtime is stopped in
// the middle of it all with a fine-tune not yet published, and started again on the same files;
// then every session's next logits must equal a single uninterrupted run in Node, bit for bit,
// with the weights each response names by its version.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charModel, recurNode, workerOptions, type CharModel } from './fixtures.js';

type Recur = Awaited<ReturnType<typeof recurNode>>;
type Model = Awaited<ReturnType<Recur['loadModel']>>;

const dir = mkdtempSync(join(tmpdir(), 'recur-durable-'));
const SESSIONS = 12;
const ADA = new Set([3, 7]);   // sessions of the user 'ada', who has a fine-tune of her own

describe('examples/worker with Durable Objects and R2, across a restart', () => {
  let model: CharModel;
  let recur: Recur;
  let mf: Miniflare | undefined;
  const ids = (text: string) => Array.from(text, (c) => Math.max(0, model.vocab.indexOf(c)));

  const start = async () => {
    // Every step asks R2 for the version (deployed: every 5 s), so the run is deterministic.
    mf = new Miniflare(workerOptions(model.file, { persist: dir, r2: true, bindings: { MODEL_TTL_MS: '0', PUBLISH_AFTER_MS: '200' } }));
    await mf.ready;
  };

  beforeAll(async () => {
    model = await charModel();
    recur = await recurNode('relaxed');   // the Worker entry imports recur-relaxed.wasm
    await start();
  }, 60_000);
  afterAll(async () => {
    await mf?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (path: string, body: unknown) => {
    const res = await mf!.dispatchFetch(`http://worker${path}`, { method: 'POST', body: JSON.stringify(body) });
    const json = (await res.json()) as any;
    expect(res.status, JSON.stringify(json)).toBe(200);
    return json;
  };

  it('every session resumes bit-identically after the restart, on the weights its responses name', async () => {
    // Node's side: the weights of every version, and each session's state as bytes.
    const weights = new Map<string, Model>();
    const published = async (key: string, version: number, from: Model) => {
      const copy = await recur.loadModel(recur.saveModel(from));
      weights.set(`${key}@${version}`, copy);
      return copy;
    };
    const states: (Uint8Array | undefined)[] = Array.from({ length: SESSIONS });
    const steps = new Array<number>(SESSIONS).fill(0);
    const nodeStep = (s: number, key: string, version: number, chunk: number[]) => {
      const m = weights.get(`${key}@${version}`);
      expect(m, `weights ${key}@${version}`).toBeDefined();
      const stream = m!.stream();
      if (states[s]) stream.loadState(states[s]!);
      const out = stream.steps(Int32Array.from(chunk), chunk.length);
      states[s] = stream.saveState();
      const logits = Array.from(out.subarray(out.length - stream.outputSize));
      stream.dispose();
      return logits;
    };
    const text = 'it was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, ';
    const round = async (r: number, expected: (s: number) => [string, number]) => {
      for (let s = 0; s < SESSIONS; s++) {
        const chunk = ids(text.slice((s * 7 + r * 5) % 60, (s * 7 + r * 5) % 60 + 1 + ((s + r) % 4)));
        const answer = await post('/step', { session: `s${s}`, ids: chunk, ...(ADA.has(s) ? { user: 'ada' } : {}) });
        const [key, version] = expected(s);
        expect(answer, `session ${s}, round ${r}`).toMatchObject({ weights: key, version, steps: steps[s] + chunk.length });
        steps[s] += chunk.length;
        expect(answer.logits, `session ${s}, round ${r}`).toEqual(nodeStep(s, key, version, chunk));
      }
    };
    const BASE = 'char-lstm.safetensors', ADA_KEY = 'users/ada.safetensors';

    // R2 holds version 3 of everyone's weights: the shipped model after two Adam steps in Node.
    const seed = await recur.loadModel(model.file);
    const trainer = new recur.Trainer(seed, { loss: 'crossEntropy', optimizer: 'adam', lr: 3e-3, clipNorm: 1 });
    const corpus = ids(text.repeat(3));
    let cursor = 0;
    const nodeFineTune = (t: InstanceType<Recur['Trainer']>, n: number, T = 16) => Array.from({ length: n }, () => {
      if (cursor + T + 1 > corpus.length) cursor = 0;
      const loss = t.step(Int32Array.from(corpus.slice(cursor, cursor + T)), Int32Array.from(corpus.slice(cursor + 1, cursor + T + 1)), { seqLen: T, batch: 1 }).loss;
      cursor += T;
      return loss;
    });
    nodeFineTune(trainer, 2);
    trainer.dispose();
    const v3 = await published(BASE, 3, seed);
    await (await mf!.getR2Bucket('MODELS')).put(BASE, recur.saveModel(v3), { customMetadata: { version: '3' } });

    // Rounds 0 and 1 on version 3 (ada has no weights of her own yet).
    await round(0, () => [BASE, 3]);
    await round(1, () => [BASE, 3]);

    // Everyone's fine-tune A, published by the alarm as version 4. The fine-tuner starts from
    // R2's version 3 with a fresh Adam; Node does the same.
    const base = await recur.loadModel(recur.saveModel(v3));
    const baseTrainer = new recur.Trainer(base, { loss: 'crossEntropy', optimizer: 'adam', lr: 3e-3, clipNorm: 1 });
    cursor = 0;
    const a = await post('/fine-tune', { ids: corpus, budgetMs: 1000, maxSteps: 3 });
    expect(a).toMatchObject({ steps: 3, version: 4, published: false });
    expect(a.losses).toEqual(nodeFineTune(baseTrainer, 3));
    await published(BASE, 4, base);
    const bucket = await mf!.getR2Bucket('MODELS');
    for (let i = 0; i < 200 && (await bucket.head(BASE))?.customMetadata?.version !== '4'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await bucket.head(BASE))?.customMetadata?.version).toBe('4');

    // ada's own fine-tune (from version 4), published at once as her version 1.
    const adaModel = await recur.loadModel(recur.saveModel(base));
    const adaTrainer = new recur.Trainer(adaModel, { loss: 'crossEntropy', optimizer: 'adam', lr: 3e-3, clipNorm: 1 });
    const baseCursor = cursor;
    cursor = 0;
    const own = await post('/fine-tune', { ids: corpus, budgetMs: 1000, maxSteps: 2, user: 'ada', publish: true });
    expect(own).toMatchObject({ steps: 2, version: 1, published: true });
    expect(own.losses).toEqual(nodeFineTune(adaTrainer, 2));
    await published(ADA_KEY, 1, adaModel);
    cursor = baseCursor;

    await round(2, (s) => (ADA.has(s) ? [ADA_KEY, 1] : [BASE, 4]));

    // Fine-tune B, not yet published (its alarm is 200 ms away) when the runtime stops.
    const b = await post('/fine-tune', { ids: corpus, budgetMs: 1000, maxSteps: 2 });
    expect(b).toMatchObject({ steps: 2, totalSteps: 5, version: 5, published: false });
    expect(b.losses).toEqual(nodeFineTune(baseTrainer, 2));
    await published(BASE, 5, base);
    await mf!.dispose();
    mf = undefined;

    // A new runtime on the same files: nothing in memory survived. B's training comes back from
    // the fine-tuner's log (redone on version 4's checkpoint) and is published as version 5.
    await start();
    expect(await post('/publish', {})).toEqual({ version: 5, published: true });
    await round(3, (s) => (ADA.has(s) ? [ADA_KEY, 1] : [BASE, 5]));
    await round(4, (s) => (ADA.has(s) ? [ADA_KEY, 1] : [BASE, 5]));

    // And the fine-tuner goes on where it was: Adam's moments and the data position survived too.
    const c = await post('/fine-tune', { ids: corpus, budgetMs: 1000, maxSteps: 2, publish: true });
    expect(c).toMatchObject({ totalSteps: 7, version: 6, published: true });
    expect(c.losses).toEqual(nodeFineTune(baseTrainer, 2));
    await published(BASE, 6, base);
    await round(5, (s) => (ADA.has(s) ? [ADA_KEY, 1] : [BASE, 6]));

    // Replaced weights are disposed (a second later): the isolate holds only the two in use.
    await new Promise((r) => setTimeout(r, 1500));
    const info = (await (await mf!.dispatchFetch('http://worker/')).json()) as any;
    expect(info.weights).toEqual([{ key: BASE, version: 6 }, { key: ADA_KEY, version: 1 }]);
    expect(info.loaded).toBe(2);

    // The published file is safetensors that Node loads to the same weights.
    const file = new Uint8Array(await (await (await mf!.getR2Bucket('MODELS')).get(BASE))!.arrayBuffer());
    expect(recur.saveModel(await recur.loadModel(file))).toEqual(recur.saveModel(base));

    baseTrainer.dispose();
    adaTrainer.dispose();
    for (const m of weights.values()) m.dispose();
  });

  it('a session of one user refuses another user, and a reset starts it afresh', async () => {
    const res = await mf!.dispatchFetch('http://worker/step', { method: 'POST', body: JSON.stringify({ session: 's3', ids: [1], user: 'bob' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).message).toBe('this session is user "ada"\'s');
    expect(await post('/reset', { session: 's3' })).toEqual({ ok: true });
    expect(await post('/step', { session: 's3', ids: [1], user: 'bob' })).toMatchObject({ steps: 1, weights: 'char-lstm.safetensors' });
  });
});
