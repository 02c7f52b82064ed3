// npm run bench:worker: examples/worker under load in workerd (Miniflare, loopback only), with
// sessions in Durable Objects and the weights in R2, both persisted to a temporary directory.
// Not part of npm test; never asserts. Prints a table and writes bench/worker.json.
//
//   1. The first fine-tune request of a fresh isolate, with and without the warm-up at startup
//      (examples/worker/src/models.js), by server-timing: the Free plan allows 10 ms of CPU.
//   2. The load (bench/worker-load.js): SESSIONS sessions, REQUESTS requests mixed with a fine-tune
//      every FINE_TUNE_EVERY, CONCURRENCY in flight; latency p50/p99 at the client and in the
//      Durable Object, workerd's CPU time per request; then every response checked against Node.
//
//   node --experimental-wasm-relaxed-simd bench/worker.js [requests] [sessions]
//   (defaults 20,200 and 1,000: about a minute; Node 20 needs the flag to run workerd's build)

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { workerOptions, workerModules } from './worker-modules.js';
import { percentile, runLoad, verify } from './worker-load.js';

const root = new URL('../', import.meta.url).pathname;
if (!existsSync(join(root, 'dist/node.js'))) throw new Error('dist/ is missing: npm run build first');
const recur = { ...(await import('../dist/node.js')), ...(await import('../dist/train.js')) };
await recur.init(readFileSync(join(root, 'dist/recur-relaxed.wasm')));   // workerd runs this build

const REQUESTS = Number(process.argv[2] ?? 20_200);
const SESSIONS = Number(process.argv[3] ?? 1_000);
const CONCURRENCY = 16;
const FINE_TUNE_EVERY = 100;
const modelFile = new Uint8Array(readFileSync(join(root, 'models/char-lstm.safetensors')));
const { vocab } = JSON.parse(readFileSync(join(root, 'models/char-lstm.json'), 'utf8'));
const text = readFileSync(join(root, 'models/data/jargon-valid.txt'), 'utf8').slice(0, 20_000);
const corpus = Array.from(text, (c) => Math.max(0, vocab.indexOf(c)));
const stats = (xs) => { const s = [...xs].sort((a, b) => a - b); return { p50: percentile(s, 50), p99: percentile(s, 99) }; };
const round = (x, d = 2) => Number(x.toFixed(d));

/** The workerd processes this Node started. */
const workerdPids = () => execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
  .trim().split('\n').map((line) => line.trim().split(/\s+/)).filter(([, comm]) => comm?.startsWith('workerd')).map(([pid]) => pid);

/** CPU seconds (user + system) of the workerd processes this Node started, from every thread's schedstat (ns). */
function workerdCpuSeconds() {
  let ns = 0;
  for (const pid of workerdPids()) {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try { ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]); } catch { /* the thread ended */ }
    }
  }
  return ns / 1e9;
}

// 1. The first fine-tune request of a fresh isolate (and the second, for comparison).
async function firstFineTune(warm) {
  const options = workerOptions(modelFile, { r2: true });
  if (!warm) {
    options.modules = workerModules(modelFile).map((m) => (m.path?.endsWith('/models.js')
      ? { ...m, contents: readFileSync(m.path, 'utf8').replace(/\{ \/\/ warm-up[\s\S]*?\n\}\n/, ''), }
      : m));
  }
  const mf = new Miniflare(options);
  await mf.ready;
  const ids = corpus.slice(100, 164);
  // Miniflare's own first calls (its routing, the Durable Object and R2 simulators) cost tens of ms
  // of CPU that a deployed Worker does not pay: made once before, by a step and an R2 read.
  await mf.dispatchFetch('http://worker/step', { method: 'POST', body: JSON.stringify({ session: 'warm', ids: [1] }) });
  await (await mf.getR2Bucket('MODELS')).head('nothing');
  const times = [];
  for (let i = 0; i < 3; i++) {
    const cpu = workerdCpuSeconds();
    const res = await mf.dispatchFetch('http://worker/fine-tune', { method: 'POST', body: JSON.stringify({ ids, budgetMs: 5, seqLen: 8, maxSteps: 1 }) });
    const json = await res.json();
    const workerdCpu = (workerdCpuSeconds() - cpu) * 1000;
    const timing = Object.fromEntries([...(res.headers.get('server-timing') ?? '').matchAll(/([\w-]+);dur=([\d.]+)/g)].map(([, k, v]) => [k, Number(v)]));
    times.push({ request: round(timing.recur, 3), fineTuner: round(timing['fine-tuner'], 3), train: round(json.ms, 3), workerdCpu: round(workerdCpu, 1) });
  }
  await mf.dispose();
  return times;
}
const first = { warm: [], cold: [] };
for (let i = 0; i < 3; i++) {
  first.warm.push(await firstFineTune(true));
  first.cold.push(await firstFineTune(false));
}
console.log('first fine-tune request of a fresh isolate (one Adam step, seq 8; ms by server-timing, where the clock runs, and\nworkerd\'s CPU time for the whole request: routing, Worker, creating the Durable Object, loading, training, storage):');
for (const kind of ['warm', 'cold']) {
  for (const [n, label] of [[0, 'first'], [1, 'second']]) {
    const r = first[kind].map((t) => t[n]);
    console.log(`  ${kind === 'warm' ? 'with warm-up   ' : 'without warm-up'}  ${label.padEnd(6)}  request ${r.map((t) => t.request.toFixed(0)).join(' / ')}  ` +
      `in the Durable Object ${r.map((t) => t.fineTuner.toFixed(0)).join(' / ')}  training ${r.map((t) => t.train.toFixed(0)).join(' / ')}  ` +
      `workerd CPU ${r.map((t) => t.workerdCpu.toFixed(1)).join(' / ')}`);
  }
}

// 2. The load (`node bench/worker.js 0` stops before it, and writes nothing).
if (REQUESTS === 0) process.exit(0);
const dir = mkdtempSync(join(tmpdir(), 'recur-bench-worker-'));
const mf = new Miniflare({ ...workerOptions(modelFile, { persist: dir, r2: true }), log: new Log(LogLevel.WARN) });
const url = String(await mf.ready).replace(/\/$/, '');
console.log(`\n${REQUESTS.toLocaleString('en-US')} requests to ${SESSIONS.toLocaleString('en-US')} sessions (${CONCURRENCY} in flight, a fine-tune every ${FINE_TUNE_EVERY}) on ${url} …`);
const cpu0 = workerdCpuSeconds(), node0 = process.cpuUsage();
const started = performance.now();
const run = await runLoad({ url, sessions: SESSIONS, requests: REQUESTS, concurrency: CONCURRENCY, fineTuneEvery: FINE_TUNE_EVERY, corpus });
const seconds = (performance.now() - started) / 1000;
const cpu = workerdCpuSeconds() - cpu0, nodeCpu = process.cpuUsage(node0);
await mf.dispose();
rmSync(dir, { recursive: true, force: true });
const total = run.steps.length + run.fineTunes.length;
console.log('checking every response against Node …');
const check = await verify(recur, modelFile, run);

const step = stats(run.steps.map((s) => s.ms)), stepDo = stats(run.steps.map((s) => s.server.session));
const tune = stats(run.fineTunes.map((f) => f.ms)), tuneDo = stats(run.fineTunes.map((f) => f.server['fine-tuner']));
const result = {
  date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length,
  requests: total, sessions: new Set(run.steps.map((s) => s.session)).size, stepRequests: run.steps.length, fineTuneRequests: run.fineTunes.length,
  fineTuneSteps: run.fineTunes.reduce((n, f) => n + f.steps, 0), versions: check.versions.length,
  seconds: round(seconds, 1), requestsPerSecond: round(total / seconds, 0),
  stepMs: { p50: round(step.p50), p99: round(step.p99), inDurableObjectP50: round(stepDo.p50, 3), inDurableObjectP99: round(stepDo.p99, 3) },
  fineTuneMs: { p50: round(tune.p50), p99: round(tune.p99), inDurableObjectP50: round(tuneDo.p50), inDurableObjectP99: round(tuneDo.p99) },
  workerdCpuMsPerRequest: round((cpu * 1000) / total, 3), loadGeneratorCpuMsPerRequest: round((nodeCpu.user + nodeCpu.system) / 1000 / total, 3),
  checked: check.checked, lostOrMixedUp: check.wrong.length, firstFineTune: first,
};
console.log(`
| | p50 | p99 |
| --- | ---: | ---: |
| step, at the client | ${result.stepMs.p50} ms | ${result.stepMs.p99} ms |
| step, in its Durable Object | ${result.stepMs.inDurableObjectP50} ms | ${result.stepMs.inDurableObjectP99} ms |
| fine-tune (5 ms budget), at the client | ${result.fineTuneMs.p50} ms | ${result.fineTuneMs.p99} ms |
| fine-tune, in its Durable Object | ${result.fineTuneMs.inDurableObjectP50} ms | ${result.fineTuneMs.inDurableObjectP99} ms |

${total.toLocaleString('en-US')} requests (${result.fineTuneRequests} fine-tunes, ${result.fineTuneSteps} Adam steps, ${result.versions} weight versions) to ${result.sessions.toLocaleString('en-US')} sessions in ${result.seconds} s: ${result.requestsPerSecond}/s
workerd CPU per request: ${result.workerdCpuMsPerRequest} ms (routing, Worker, Durable Object, storage); load generator: ${result.loadGeneratorCpuMsPerRequest} ms
checked ${check.checked.toLocaleString('en-US')} step responses against Node: ${check.wrong.length} lost or mixed-up states${check.wrong.length ? ` (${JSON.stringify(check.wrong.slice(0, 5))})` : ''}`);
writeFileSync(new URL('./worker.json', import.meta.url), `${JSON.stringify(result, null, 1)}\n`);
console.log('wrote bench/worker.json');
