// The load of npm run bench:worker (bench/worker.js runs it): many sessions stepping over HTTP on
// loopback, mixed with fine-tune requests, against examples/worker in workerd; then the check that
// no session's state was lost or mixed up: every response's logits must equal what Node's build
// gives for that session's own history, on the weights version the response names.
//
// It is bounded: `requests` requests, at most `concurrency` in flight, one at a time per session
// (so each session's order is known), at most one fine-tune in flight (so their order is known).

import { request } from 'node:http';
import { seededRandom as random } from '../dist/node.js';   // mulberry32: the same numbers for a seed

/** p-th percentile (0–100) of sorted numbers. */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];


/** server-timing's durations by name, in ms. */
const serverTiming = (header) => Object.fromEntries([...(header ?? '').matchAll(/([\w-]+);dur=([\d.]+)/g)].map(([, k, v]) => [k, Number(v)]));

/**
 * Sends the load to `url` (the Worker on loopback). `corpus` is token ids; `fineTuneEvery` is
 * how many requests per fine-tune. Returns what each request answered, in the order answered.
 */
export async function runLoad({ url, sessions, requests, concurrency, fineTuneEvery, corpus, seed = 1 }) {
  const rand = random(seed);
  const steps = [];        // { session, ids, version, weights, logits, ms, server }
  const fineTunes = [];    // { steps, losses, version, ms, server }
  const busy = new Set();
  let sent = 0, fineTuning = false;
  // A connection per request (no keep-alive): a server closing an idle kept-alive connection as
  // a request is sent on it would fail that request, and a POST cannot be retried blindly.
  const post = (path, body) => new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(`${url}${path}`, { method: 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => {
        const json = JSON.parse(text);
        if (res.statusCode !== 200) reject(new Error(`${path} ${res.statusCode}: ${text}`));
        else resolve({ json, ms: performance.now() - started, server: serverTiming(res.headers['server-timing']) });
      });
    });
    req.on('error', reject).end(JSON.stringify(body));
  });
  const one = async () => {
    if (!fineTuning && sent % fineTuneEvery === fineTuneEvery - 1) {
      fineTuning = true;
      const at = Math.floor(rand() * (corpus.length - 64));
      const ids = corpus.slice(at, at + 64);
      const { json, ms, server } = await post('/fine-tune', { ids, budgetMs: 5, seqLen: 8 });
      fineTunes.push({ ids, steps: json.steps, losses: json.losses, version: json.version, ms, server, trainMs: json.ms });
      fineTuning = false;
      return;
    }
    let session;
    do session = Math.floor(rand() * sessions); while (busy.has(session));
    busy.add(session);
    const at = Math.floor(rand() * (corpus.length - 4));
    const ids = corpus.slice(at, at + 1 + Math.floor(rand() * 4));
    const { json, ms, server } = await post('/step', { session: `s${session}`, ids });
    steps.push({ session, ids, version: json.version, weights: json.weights, count: json.steps, logits: json.logits, ms, server });
    busy.delete(session);
  };
  const lane = async () => {
    while (sent < requests) {
      sent++;
      await one();
    }
  };
  // Every session gets its first step before the mixed load, so there are `sessions` of them.
  for (let s = 0; s < sessions; s += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, sessions - s) }, async (_, i) => {
      const session = s + i;
      const ids = corpus.slice(session % 500, session % 500 + 2);
      const { json, ms, server } = await post('/step', { session: `s${session}`, ids });
      steps.push({ session, ids, version: json.version, weights: json.weights, count: json.steps, logits: json.logits, ms, server });
    }));
  }
  sent = sessions;
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { steps, fineTunes };
}

/**
 * Replays the run in Node: the fine-tunes in the order answered (each with the steps it made) to
 * get every published version's weights, then each session's steps in order. Returns how many
 * responses were checked, and those whose logits or step count differ (lost or mixed-up states).
 */
export async function verify(recur, modelFile, { steps, fineTunes }, { lr = 3e-3, seqLen = 8 } = {}) {
  const wanted = new Set(steps.map((s) => s.version));
  const versions = new Map([[0, await recur.loadModel(modelFile)]]);
  const model = await recur.loadModel(modelFile);
  const trainer = new recur.Trainer(model, { loss: 'crossEntropy', optimizer: 'adam', lr, clipNorm: 1 });
  let cursor = 0;
  for (let i = 0; i < fineTunes.length; i++) {
    const { ids, steps: n, version } = fineTunes[i];
    const tokens = Int32Array.from(ids), T = Math.min(seqLen, ids.length - 1);
    for (let k = 0; k < n; k++) {
      if (cursor + T + 1 > tokens.length) cursor = 0;
      trainer.step(tokens.slice(cursor, cursor + T), tokens.slice(cursor + 1, cursor + T + 1), { seqLen: T, batch: 1 });
      cursor += T;
    }
    // Version v holds every fine-tune answered with a version ≤ v.
    if (wanted.has(version) && fineTunes[i + 1]?.version !== version) versions.set(version, await recur.loadModel(recur.saveModel(model)));
  }
  trainer.dispose();
  model.dispose();

  const bySession = new Map();
  for (const s of steps) {
    if (!bySession.has(s.session)) bySession.set(s.session, []);
    bySession.get(s.session).push(s);
  }
  const streams = new Map([...versions].map(([v, m]) => [v, m.stream()]));
  const wrong = [];
  let checked = 0;
  for (const [session, list] of bySession) {
    let state, count = 0;
    for (const s of list) {
      const stream = streams.get(s.version);
      if (!stream) { wrong.push({ session, reason: `version ${s.version} unknown` }); break; }
      if (state) stream.loadState(state); else stream.reset();
      const out = stream.steps(Int32Array.from(s.ids), s.ids.length);
      state = stream.saveState();
      count += s.ids.length;
      const logits = out.subarray(out.length - stream.outputSize);
      checked++;
      if (s.count !== count || s.logits.length !== logits.length || s.logits.some((v, i) => !Object.is(v, logits[i]))) {
        wrong.push({ session, reason: s.count !== count ? `step count ${s.count}, expected ${count}` : 'logits differ' });
        break;
      }
    }
  }
  for (const m of versions.values()) m.dispose();
  return { checked, wrong, versions: [...versions.keys()] };
}
