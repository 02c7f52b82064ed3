// examples/worker in the real Workers runtime (workerd, started by Miniflare from npm), checked
// against recur's Node build: the same model and token ids give the same logits, and the same
// fine-tuning gives the same losses and, afterwards, the same logits again; POST /vad finds the
// speech in a WAV file with the probabilities and segments recur/vad gives in Node.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charModel, recurNode, root, workerOptions, type CharModel } from './fixtures.js';

const SILERO = join(root, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');

describe('examples/worker in workerd', () => {
  let mf: Miniflare;
  let model: CharModel;
  let recur: Awaited<ReturnType<typeof recurNode>>;
  const ids = (text: string) => Array.from(text, (c) => Math.max(0, model.vocab.indexOf(c)));

  beforeAll(async () => {
    model = await charModel();
    recur = await recurNode('relaxed');   // the Worker entry imports recur-relaxed.wasm
    // Sessions and the fine-tuner are Durable Objects (in memory here; worker.durable.e2e.test.ts
    // persists them and R2); no bucket, so the bundled file answers and fine-tunes stay in the isolate.
    mf = new Miniflare(workerOptions(model.file));
    await mf.ready;
  }, 30_000);
  afterAll(async () => { await mf?.dispose(); });

  const post = async (path: string, body: unknown) => {
    const res = await mf.dispatchFetch(`http://worker${path}`, { method: 'POST', body: JSON.stringify(body) });
    const json = (await res.json()) as any;
    expect(res.status, JSON.stringify(json)).toBe(200);
    return { json, ms: Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1]) };
  };

  /** What Node's build gives for the same steps: the logits after each chunk of ids. */
  const nodeLogits = (stream: { steps(x: Int32Array, T: number): Float32Array; outputSize: number }, chunk: number[]) => {
    const out = stream.steps(Int32Array.from(chunk), chunk.length);
    return Array.from(out.subarray(out.length - stream.outputSize));
  };

  it('steps two interleaved sessions exactly as Node does', async () => {
    const reference = await recur.loadModel(model.file);
    const a = reference.stream(), b = reference.stream();
    const chunksA = [ids('the'), ids(' '), ids('w'), ids('orst of times')];
    const chunksB = [ids('it was'), ids(' t'), ids('h'), ids('e')];
    for (let i = 0; i < chunksA.length; i++) {
      const ra = await post('/step', { session: 'a', ids: chunksA[i] });
      const rb = await post('/step', { session: 'b', ids: chunksB[i] });
      expect(ra.json.logits).toEqual(nodeLogits(a, chunksA[i]));
      expect(rb.json.logits).toEqual(nodeLogits(b, chunksB[i]));
    }
    const again = await post('/reset', { session: 'a' });
    expect(again.json).toEqual({ ok: true });
    a.reset();
    expect((await post('/step', { session: 'a', ids: ids('t') })).json.logits).toEqual(nodeLogits(a, ids('t')));
    reference.dispose();
  });

  it('reports the CPU time of each step in server-timing', async () => {
    // How long a step takes is for `npm run bench` (timed tests are flaky on shared machines);
    // here, only that workerd's clock reading comes back with every step.
    for (let i = 0; i < 5; i++) {
      const { ms } = await post('/step', { session: 'timing', ids: [i % model.vocab.length] });
      expect(Number.isFinite(ms) && ms >= 0).toBe(true);
    }
  });

  it('fine-tunes like Node, step for step, then streams the new weights', async () => {
    const text = ids('it was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness');
    const reference = await recur.loadModel(model.file);
    const trainer = new recur.Trainer(reference, { loss: 'crossEntropy', optimizer: 'adam', lr: 3e-3, clipNorm: 1 });
    const T = 16;
    let cursor = 0;
    const nodeSteps = (n: number) => Array.from({ length: n }, () => {
      if (cursor + T + 1 > text.length) cursor = 0;
      const loss = trainer.step(Int32Array.from(text.slice(cursor, cursor + T)), Int32Array.from(text.slice(cursor + 1, cursor + T + 1)), { seqLen: T, batch: 1 }).loss;
      cursor += T;
      return loss;
    });

    const before = await post('/step', { session: 'before', ids: ids('it was') });
    expect(before.json.version).toBe(0);                        // the bundled file
    const first = await post('/fine-tune', { ids: text, seqLen: T, budgetMs: 1000, maxSteps: 4 });
    expect(first.json.steps).toBe(4);
    expect(first.json.losses).toEqual(nodeSteps(4));
    expect(first.json).toMatchObject({ version: 1, published: false });
    const second = await post('/fine-tune', { ids: text, seqLen: T, budgetMs: 1000, maxSteps: 5, publish: true });
    expect(second.json.losses).toEqual(nodeSteps(5));
    expect(second.json).toMatchObject({ totalSteps: 9, version: 1, published: true });

    // Published: a new session and an old one both step on the new weights, as version 1.
    const s = reference.stream();
    const after = await post('/step', { session: 'after', ids: ids('it was') });
    expect(after.json).toMatchObject({ version: 1, steps: 6 });
    expect(after.json.logits).toEqual(nodeLogits(s, ids('it was')));
    const old = reference.stream();
    nodeLogits(old, ids('it was'));
    const goesOn = await post('/step', { session: 'before', ids: ids(' the') });
    expect(goesOn.json).toMatchObject({ version: 1, steps: 10 });
    expect(goesOn.json.logits).not.toEqual(nodeLogits(old, ids(' the')));   // its first steps were on version 0
    const base = await recur.loadModel(model.file), fresh = base.stream();
    nodeLogits(fresh, ids('it was'));
    old.loadState(fresh.saveState());
    expect(goesOn.json.logits).toEqual(nodeLogits(old, ids(' the')));
    base.dispose();
    trainer.dispose();
    reference.dispose();
  });

  it('keeps a fine-tune request within its time budget and reports progress', async () => {
    const text = ids('it was the spring of hope, it was the winter of despair, we had everything before us');
    const tiny = await post('/fine-tune', { ids: text, budgetMs: 0.01 });
    expect(tiny.json.steps).toBe(1);   // one step is always made
    const r = await post('/fine-tune', { ids: text, budgetMs: 5 });
    expect(r.json.steps).toBeGreaterThanOrEqual(1);
    expect(r.json.losses).toHaveLength(r.json.steps);
    expect(r.json.totalSteps).toBe(10 + r.json.steps);
    // One step is ~5 ms warm; the first fine-tune request of the isolate was warmed at startup.
    expect(Number.isFinite(r.json.ms)).toBe(true);
    // The loop's own time (workerd's clock ticks in whole milliseconds): no step starts after
    // the budget is spent, so it ends within one step of it — a millisecond or two here, with
    // room for a busy machine.
    expect(r.json.ms).toBeLessThan(5 + 25);
  });

  it('rejects a malformed request with 400 and the reason', async () => {
    const res = await mf.dispatchFetch('http://worker/step', { method: 'POST', body: JSON.stringify({ session: 'x' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).message).toMatch(/ids/);
  });

  it('refuses token ids that are not integers in the vocabulary (1.5 was truncated to 1), and makes no step', async () => {
    const trained = async () => (await post('/fine-tune', { ids: [1, 2], maxSteps: 1 })).json.totalSteps;
    const before = await trained();
    for (const bad of [1.5, -1, '3', 1e10, null, model.vocab.length]) {
      for (const [path, body] of [['/step', { session: 'bad-ids', ids: [2, bad] }], ['/fine-tune', { ids: [2, bad, 3] }]] as const) {
        const res = await mf.dispatchFetch(`http://worker${path}`, { method: 'POST', body: JSON.stringify(body) });
        const json = (await res.json()) as any;
        expect(res.status, `${path} ${JSON.stringify(bad)}`).toBe(400);
        expect(json.message).toBe(`ids[1] is ${JSON.stringify(bad)}; token ids are integers from 0 to ${model.vocab.length - 1}`);
      }
    }
    expect(await trained()).toBe(before + 1);   // none of them made a step
  });

  describe('POST /vad', () => {
    const audio = join(root, 'test/fixtures/audio');
    const WAV16 = readFileSync(join(audio, 'speech-mix-16k.wav'));
    const WAV8 = readFileSync(join(audio, 'speech-mix-8k.wav'));
    const SPEECH: { start: number; end: number }[] = JSON.parse(readFileSync(join(audio, 'speech-mix.json'), 'utf8')).speech;
    const silero = new Uint8Array(readFileSync(SILERO));
    let vad: typeof import('../../src/vad/index.js');

    beforeAll(async () => {
      // recur/vad's Node build, on the relaxed kernels recurNode('relaxed') loaded (they share base.js).
      vad = await import(/* @vite-ignore */ join(root, 'dist/vad-node.js'));
    });

    const postWav = async (query: string, body: Uint8Array) => {
      const res = await mf.dispatchFetch(`http://worker/vad${query}`, { method: 'POST', body });
      return { status: res.status, json: (await res.json()) as any, ms: Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1]) };
    };
    /** What recur/vad in Node gives for the same file and knobs. */
    const nodeVad = async (file: Uint8Array, knobs: object = {}) => {
      const wav = vad.readWav(file);
      return vad.detectSpeech(silero, wav.samples, { inputSampleRate: wav.sampleRate, ...knobs });
    };
    const spans = (segments: { start: number; end: number }[]) => segments.map(({ start, end }) => ({ start, end }));

    it('16 kHz: three segments, one on each sentence, and every probability as in Node', async () => {
      // vad-web's redemptionMs 1400 (43 frames) is about as long as the 1.5 s pauses between the
      // sentences, so with the defaults two of them merge; 1000 separates all three.
      const { status, json, ms } = await postWav('?redemptionMs=1000&probabilities=1', WAV16);
      expect(status, JSON.stringify(json)).toBe(200);
      const expected = await nodeVad(WAV16, { redemptionMs: 1000 });
      expect(json).toMatchObject({ sampleRate: 16000, frames: 375, frameMs: 32 });
      expect(json.segments).toEqual(spans(expected.segments));
      expect(json.segments).toHaveLength(3);
      json.segments.forEach((s: { start: number; end: number }, i: number) => {
        expect(s.start < SPEECH[i].end && SPEECH[i].start < s.end, `segment ${i} ${JSON.stringify(s)} on ${JSON.stringify(SPEECH[i])}`).toBe(true);
      });
      expect(json.probabilities).toEqual(Array.from(expected.probabilities));
      expect(ms).toBeGreaterThanOrEqual(0);
    });

    it('vad-web\'s default knobs without a query, and no probabilities unless asked', async () => {
      const { status, json } = await postWav('', WAV16);
      expect(status, JSON.stringify(json)).toBe(200);
      expect(json.segments).toEqual(spans((await nodeVad(WAV16)).segments));
      expect(json).not.toHaveProperty('probabilities');
    });

    it('8 kHz: resampled to 16 kHz as Node does it, segments within a few frames of the 16 kHz ones', async () => {
      const { status, json } = await postWav('?redemptionMs=1000', WAV8);
      expect(status, JSON.stringify(json)).toBe(200);
      expect(json).toMatchObject({ sampleRate: 8000, frames: 375 });
      expect(json.segments).toEqual(spans((await nodeVad(WAV8, { redemptionMs: 1000 })).segments));
      const at16 = (await postWav('?redemptionMs=1000', WAV16)).json.segments;
      expect(json.segments).toHaveLength(at16.length);
      json.segments.forEach((s: { start: number; end: number }, i: number) => {
        expect(Math.abs(s.start - at16[i].start), `start of segment ${i}`).toBeLessThanOrEqual(4 * 32);
        expect(Math.abs(s.end - at16[i].end), `end of segment ${i}`).toBeLessThanOrEqual(4 * 32);
      });
    });

    it('a malformed WAV is a 400 with the RecurFormatError\'s message; so is a bad knob (RecurOptionError)', async () => {
      const bad = new Uint8Array(Buffer.from('RIFF\x04\x00\x00\x00JUNK', 'latin1'));
      const message = (() => { try { vad.readWav(bad); } catch (err) { return (err as Error).message; } })();
      expect(message).toBe('WAV: RIFF file of form "JUNK", not WAVE');
      expect(await postWav('', bad)).toMatchObject({ status: 400, json: { error: 'RecurFormatError', message } });
      const truncated = await postWav('', WAV16.subarray(0, 30));
      expect(truncated).toMatchObject({ status: 400, json: { error: 'RecurFormatError' } });
      expect(truncated.json.message).toMatch(/^WAV: /);
      const knob = await postWav('?negativeSpeechThreshold=0.9', WAV16);
      expect(knob).toMatchObject({ status: 400, json: { error: 'RecurOptionError' } });
      expect(knob.json.message).toMatch(/negativeSpeechThreshold/);
      // The isolate's detector is unharmed.
      expect((await postWav('?redemptionMs=1000', WAV16)).json.segments).toHaveLength(3);
    });
  });
});
