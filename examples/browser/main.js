// The demo page: streams a character-level LSTM as it generates, and fine-tunes it on pasted
// text in a Web Worker with a live loss plot. Plain modules, no framework.
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
const demo = window.demo = { model: undefined, vocab: undefined, unknown: undefined, losses: [], text: '', seed: 0 };
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
  $('train').disabled = true; $('stop-train').disabled = false;
  setState('training');
  training = trainInWorker({
    model: saveModel(demo.model), examples, steps, trainer: FINE_TUNE.trainer,
    onProgress: (p) => {
      demo.losses.push(p.loss);
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
// The loss plot: redrawn at most once per frame.

let plotPending = false;
function requestPlot() {
  if (plotPending) return;
  plotPending = true;
  requestAnimationFrame(() => { plotPending = false; plot($('loss'), demo.losses); });
}

function plot(canvas, losses) {
  // Drawn in CSS pixels on a canvas of device pixels, so it is sharp on any screen.
  const scale = devicePixelRatio;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w * scale) { canvas.width = w * scale; canvas.height = h * scale; }
  const g = canvas.getContext('2d');
  g.setTransform(scale, 0, 0, scale, 0, 0);
  const pad = { left: 44, right: 10, top: 10, bottom: 22 };
  g.clearRect(0, 0, w, h);
  g.font = '12px system-ui, sans-serif';
  g.fillStyle = '#5b6675';
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

start().catch((err) => {
  $('model-status').textContent = `Could not load the model: ${err.message}`;
  setState('error');
  console.error(err);
});
