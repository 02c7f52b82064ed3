// The demo page: streams a character-level LSTM as it generates, and fine-tunes it on pasted
// text in a Web Worker with a live loss plot and a plot of how far back the gradient reaches
// (‖∂L/∂h_t‖, the Trainer's diagnostics of memory). Plain modules, no framework.
//
// The model is the shipped char LSTM with int8 weights (350 kB; the f32 file is 1.3 MB and
// +0.02 % better in bits/char, models/README.md), and the page says so. ?model=URL picks another
// model file (its vocabulary is the .json beside it), e.g. ?model=../../models/char-lstm.safetensors;
// ?seed=N makes generation repeatable. window.demo exposes the state for the end-to-end test.

import { loadModel, saveModel, trainInWorker } from 'recur';
import { FINE_TUNE, encode, generate, vocabulary, windows } from './text.js';

const params = new URLSearchParams(location.search);
const DEFAULT_MODEL = '../../models/char-lstm.int8.safetensors';
const modelUrl = new URL(params.get('model') ?? DEFAULT_MODEL, location.href);
const vocabUrl = new URL(modelUrl.pathname.replace(/\.safetensors$/, '.json'), modelUrl);

const $ = (id) => document.getElementById(id);
const demo = window.demo = { model: undefined, vocab: undefined, unknown: undefined, losses: [], reach: [], text: '', seed: 0 };
let stream, generating = false, stopGenerating = false, training, trained;

function setState(state) { document.body.dataset.state = state; }

async function start() {
  const [bytes, vocabJson] = await Promise.all([fetch(modelUrl).then((r) => {
    if (!r.ok) throw new Error(`${modelUrl}: HTTP ${r.status}`);
    return r.arrayBuffer();
  }), fetch(vocabUrl).then((r) => r.json())]);
  const model = await loadModel(new Uint8Array(bytes));
  demo.vocab = vocabulary(vocabJson);
  demo.unknown = vocabJson.unknown;
  useModel(model);
  const layers = model.toJSON().layers.map((l) => l.type === 'lstm' || l.type === 'gru' || l.type === 'rnn'
    ? `${l.type.toUpperCase()} ${l.hiddenSize}${(l.numLayers ?? 1) > 1 ? ` × ${l.numLayers}` : ''}` : l.type);
  const int8 = model.toJSON().layers.some((l) => l.quantize === 'int8');
  $('model-status').textContent = `Model: ${modelUrl.pathname.split('/').pop()} (${layers.join(' → ')}, ${demo.vocab.length} characters; ` +
    `${int8 ? 'int8' : 'f32'} weights, ${Math.round(bytes.byteLength / 1000).toLocaleString('en-US')} kB downloaded).` +
    (params.has('model') ? '' : ' The int8 file is a quarter of the f32 one (1.3 MB) for +0.02 % bits/char; ?model=../../models/char-lstm.safetensors loads that instead.');
  for (const id of ['generate', 'train']) $(id).disabled = false;
  plotReach($('reach'), undefined);
  setState('ready');
}

function useModel(model) {
  stream?.dispose();
  demo.model?.dispose();
  demo.model = model;
  stream = model.stream();
}

// ---------------------------------------------------------------------------------------------
// Generating: one stream step per character, painted a few characters per animation frame.

const temperature = () => Number($('temperature').value);
$('temperature').addEventListener('input', () => { $('temperature-value').textContent = temperature().toFixed(2); });

$('generate').addEventListener('click', async () => {
  if (generating) return;
  generating = true; stopGenerating = false;
  $('generate').disabled = true; $('stop-generate').disabled = false;
  setState('generating');
  const prompt = $('prompt').value;
  const out = $('output');
  out.replaceChildren(Object.assign(document.createElement('span'), { className: 'prompt', textContent: prompt }));
  const seed = demo.seed = params.has('seed') ? Number(params.get('seed')) : (Math.random() * 2 ** 32) >>> 0;
  const started = performance.now();
  demo.text = await generate(stream, demo.vocab, {
    prompt, length: 600, temperature, seed, unknown: demo.unknown, perFrame: 3,
    frame: () => new Promise(requestAnimationFrame),
    onText: (piece) => { out.append(piece); out.scrollTop = out.scrollHeight; },
    stopped: () => stopGenerating,
  });
  const ms = performance.now() - started;
  $('generate-status').textContent = `${demo.text.length} characters in ${(ms / 1000).toFixed(1)} s (paced to the screen; seed ${seed}).`;
  generating = false;
  if (trained) { useModel(trained); trained = undefined; }   // fine-tuning finished meanwhile
  $('generate').disabled = false; $('stop-generate').disabled = true;
  setState(training ? 'training' : 'generated');
});
$('stop-generate').addEventListener('click', () => { stopGenerating = true; });

// ---------------------------------------------------------------------------------------------
// Fine-tuning: the model file and the examples go to a Web Worker; progress comes back per step.

$('train').addEventListener('click', async () => {
  const examples = windows(encode($('text').value, demo.vocab, demo.unknown), FINE_TUNE.seqLen);
  if (examples.length === 0) { $('train-status').textContent = `Paste at least ${FINE_TUNE.seqLen + 1} characters the model knows.`; return; }
  const steps = Math.max(1, Number($('steps').value) | 0);
  demo.losses = [];
  demo.reach = [];
  $('reach-caption').textContent = '';
  $('train').disabled = true; $('stop-train').disabled = false;
  setState('training');
  training = trainInWorker({
    model: saveModel(demo.model), examples, steps, trainer: FINE_TUNE.trainer, diagnosticsEvery: FINE_TUNE.diagnosticsEvery,
    onProgress: (p) => {
      demo.losses.push(p.loss);
      if (p.diagnostics) showReach(p.step, p.diagnostics);
      $('train-status').textContent = `step ${p.step} of ${steps} · loss ${p.loss.toFixed(3)} · ${p.stepsPerSecond.toFixed(1)} steps/s`;
      requestPlot();
    },
  });
  try {
    const { model: file, progress } = await training.done;
    const model = await loadModel(file);
    if (generating) trained = model; else useModel(model);
    $('train-status').textContent = `Fine-tuned: ${progress.step} steps, loss ${progress.loss.toFixed(3)}. Generate to hear the new voice.`;
    setState(generating ? 'generating' : 'trained');
  } catch (err) {
    $('train-status').textContent = `Training failed: ${err.message}`;
    setState('error');
  }
  training = undefined;
  $('train').disabled = false; $('stop-train').disabled = true;
});
$('stop-train').addEventListener('click', () => training?.stop());

// ---------------------------------------------------------------------------------------------
// How far back the gradient reaches: on the steps FINE_TUNE.diagnosticsEvery picks, the worker
// sends Trainer.step's diagnostics; the plot shows the first recurrent layer's ‖∂L/∂h_t‖ over
// the window, relative to its peak, against steps back from the window's last character.

function showReach(step, diagnostics) {
  const [name, directions] = Object.entries(diagnostics.layers)[0] ?? [];
  if (!directions) return;
  const { gradNorms, peakStep, lag } = directions[0];   // layer 0, forward (l·D + d = 0)
  const reach = { step, layer: name, gradNorms, peakStep, lag, threshold: diagnostics.threshold };
  demo.reach.push(reach);
  $('reach-caption').textContent = reachCaption(reach);
  requestPlot();
}

/** One line: the lag (steps before the peak) where the gradient first falls below threshold · peak. */
function reachCaption({ step, peakStep, lag, threshold }) {
  const percent = `${+(threshold * 100).toFixed(6)} %`;
  return lag === null
    ? `Gradient at step ${step}: reaches t = 0 above ${percent} of its peak (t = ${peakStep}).`
    : `Gradient at step ${step}: below ${percent} of its peak (t = ${peakStep}) at lag ${lag}.`;
}

// ---------------------------------------------------------------------------------------------
// The plots: redrawn at most once per frame.

let plotPending = false;
function requestPlot() {
  if (plotPending) return;
  plotPending = true;
  requestAnimationFrame(() => { plotPending = false; plot($('loss'), demo.losses); plotReach($('reach'), demo.reach.at(-1)); });
}

/** A cleared 2-d context of the canvas, drawn in CSS pixels on device pixels (sharp on any screen). */
function surface(canvas) {
  const scale = devicePixelRatio;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w * scale) { canvas.width = w * scale; canvas.height = h * scale; }
  const g = canvas.getContext('2d');
  g.setTransform(scale, 0, 0, scale, 0, 0);
  g.clearRect(0, 0, w, h);
  g.font = '12px system-ui, sans-serif';
  g.fillStyle = '#5b6675';
  return { g, w, h };
}

function plot(canvas, losses) {
  const { g, w, h } = surface(canvas);
  const pad = { left: 44, right: 10, top: 10, bottom: 22 };
  if (losses.length === 0) return;
  let hi = -Infinity, lo = 0;
  for (const v of losses) { if (v > hi) hi = v; if (v < lo) lo = v; }
  const x = (i) => pad.left + (i / Math.max(1, losses.length - 1)) * (w - pad.left - pad.right);
  const y = (v) => pad.top + (1 - (v - lo) / (hi - lo || 1)) * (h - pad.top - pad.bottom);
  g.strokeStyle = '#e3e6eb'; g.lineWidth = 1;
  for (const v of [lo, (lo + hi) / 2, hi]) {
    g.beginPath(); g.moveTo(pad.left, y(v)); g.lineTo(w - pad.right, y(v)); g.stroke();
    g.fillText(v.toFixed(2), 6, y(v) + 4);
  }
  g.fillText(`loss over ${losses.length} step${losses.length === 1 ? '' : 's'}`, pad.left, h - 6);
  g.strokeStyle = '#2f6fde'; g.lineWidth = 1.5;
  g.beginPath();
  const stride = Math.max(1, Math.floor(losses.length / (2 * w)));   // about two points per pixel
  for (let i = 0; i < losses.length; i += stride) (i ? g.lineTo(x(i), y(losses[i])) : g.moveTo(x(i), y(losses[i])));
  g.stroke();
}

function plotReach(canvas, reach) {
  const { g, w, h } = surface(canvas);
  if (!reach) { g.fillText('how far back the gradient reaches:', 10, h / 2 - 8); g.fillText('drawn while fine-tuning', 10, h / 2 + 8); return; }
  const pad = { left: 44, right: 10, top: 20, bottom: 22 };
  const norms = reach.gradNorms, T = norms.length, peak = norms[reach.peakStep];
  // log10 of ‖∂L/∂h_t‖ / peak, at k = T − 1 − t steps back from the last time step; a zero norm
  // (or one below float32's range relative to the peak) sits on the bottom edge.
  const rel = Array.from({ length: T }, (_, k) => Math.log10(norms[T - 1 - k] / peak));
  let bottom = Math.floor(Math.min(Math.log10(reach.threshold), ...rel.filter(Number.isFinite)));
  bottom = Math.max(bottom, -45);
  const x = (k) => pad.left + (k / Math.max(1, T - 1)) * (w - pad.left - pad.right);
  const y = (v) => pad.top + (Math.max(v, bottom) / bottom) * (h - pad.top - pad.bottom);
  g.strokeStyle = '#e3e6eb'; g.lineWidth = 1;
  const decades = Math.max(1, Math.ceil(-bottom / 4));   // at most five labels
  for (let v = 0; v >= bottom; v -= decades) {
    g.beginPath(); g.moveTo(pad.left, y(v)); g.lineTo(w - pad.right, y(v)); g.stroke();
    g.fillText(v === 0 ? '1' : `1e${v}`, 6, y(v) + 4);
  }
  g.setLineDash([4, 3]); g.strokeStyle = '#d08a2e';   // the threshold of the lag (1 %)
  const t = Math.log10(reach.threshold);
  g.beginPath(); g.moveTo(pad.left, y(t)); g.lineTo(w - pad.right, y(t)); g.stroke();
  g.setLineDash([]);
  g.fillText('0', pad.left, h - 6);
  g.textAlign = 'center'; g.fillText('steps back', (pad.left + w - pad.right) / 2, h - 6);
  g.textAlign = 'right'; g.fillText(String(T - 1), w - pad.right, h - 6);
  g.fillText(`‖∂L/∂h_t‖ / peak (${reach.layer})`, w - pad.right, 13);
  g.textAlign = 'left';
  g.strokeStyle = '#2f6fde'; g.lineWidth = 1.5;
  g.beginPath();
  rel.forEach((v, k) => (k ? g.lineTo(x(k), y(v)) : g.moveTo(x(k), y(v))));
  g.stroke();
  g.fillStyle = '#2f6fde';
  g.beginPath(); g.arc(x(T - 1 - reach.peakStep), y(0), 3, 0, 2 * Math.PI); g.fill();
}

start().catch((err) => {
  $('model-status').textContent = `Could not load the model: ${err.message}`;
  setState('error');
  console.error(err);
});
