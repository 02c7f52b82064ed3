// The VAD page: a WAV file or the microphone → 16 kHz → recur/vad's VoiceActivityDetector, which
// runs Silero VAD v5 (vad-web's model file) one 32 ms frame at a time and segments the speech
// probabilities with vad-web's rules. Each probability is plotted as it comes; each segment is
// listed and shaded when it ends. Plain modules, no framework, no build step.
//
// ?model=URL loads another Silero file (silero_vad_legacy.onnx, silero_vad_v6.onnx);
// ?capture=script uses a ScriptProcessorNode instead of an AudioWorklet. window.vadTest holds the
// current run for the end-to-end test.

import { SpeechSegmenter, VoiceActivityDetector, defaultSegmenterOptions, readWav, resample } from '../../dist/vad.js';
import { streamResampler } from './resampler.js';

const RATE = 16000;                    // what Silero runs at here
const CHUNK = 4096;                    // samples of a file pushed at a time
const WINDOW_MS = 10_000;              // the microphone plot shows the last 10 s
const KNOBS = ['positiveSpeechThreshold', 'negativeSpeechThreshold', 'redemptionMs', 'preSpeechPadMs', 'minSpeechMs'];
const SAMPLE = new URL('../../test/fixtures/audio/speech-mix-16k.wav', import.meta.url);

const params = new URLSearchParams(location.search);
const modelUrl = new URL(params.get('model') ?? '../../node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx', location.href);

const $ = (id) => document.getElementById(id);
/** The current run: every frame's probability, the segments that ended, the one still open. */
const run = window.vadTest = { source: null, probabilities: [], segments: [], misfires: 0, open: null, totalFrames: 0, plottedFrames: 0, inputSampleRate: 0, capture: null };
let detector, mic, busy = false;

const setState = (state) => { document.body.dataset.state = state; };
const msPerFrame = () => (detector.frameSamples * 1000) / RATE;

async function start() {
  for (const k of KNOBS) $(k).value = defaultSegmenterOptions[k];
  const started = performance.now();
  detector = await VoiceActivityDetector.create(await fetch(modelUrl), { sampleRate: RATE, ...knobs() });
  $('model-status').textContent = `Model: ${modelUrl.pathname.split('/').pop()} (Silero ${detector.vad.version}), ready in ` +
    `${Math.round(performance.now() - started)} ms; ${detector.frameSamples} samples (${msPerFrame()} ms) per frame at 16 kHz.`;
  showKnobs();
  enable(true);
  setState('ready');
}

function enable(on) {
  for (const id of ['file', 'sample', 'mic']) $(id).disabled = !on;
  $('file-label').classList.toggle('disabled', !on);
  $('stop').disabled = on || !mic;
}

// ---------------------------------------------------------------------------------------------
// A run: the detector's output, frame by frame.

function begin(source, samples = 0) {
  detector.reset();
  Object.assign(run, { source, probabilities: [], segments: [], misfires: 0, open: null, plottedFrames: 0,
                       totalFrames: Math.ceil(samples / detector.frameSamples) });
  showSegments();
  requestPlot();
}

/** What push() or flush() returned: new probabilities, and start / realStart / end / misfire events. */
function take({ probabilities, events }) {
  for (const p of probabilities) run.probabilities.push(p);
  for (const e of events) {
    if (e.type === 'start') run.open = e.frame;
    else if (e.type === 'end' || e.type === 'misfire') {
      run.open = null;
      if (e.type === 'end') run.segments.push(segment(e));
      else run.misfires++;
      showSegments();
    }
  }
  $('speaking').textContent = run.open === null ? 'silence' : 'speech';
  $('speaking').classList.toggle('on', run.open !== null);
  requestPlot();
}

const segment = ({ start, end, startFrame, endFrame, speechStart, speechFrames }) => ({ start, end, startFrame, endFrame, speechStart, speechFrames });

// ---------------------------------------------------------------------------------------------
// A WAV file: decoded with readWav, resampled to 16 kHz, pushed a chunk at a time, painting
// between chunks so the plot grows as it goes.

async function analyse(blob, name) {
  if (busy) return;
  busy = true;
  enable(false);
  setState('analysing');
  try {
    const wav = readWav(new Uint8Array(await blob.arrayBuffer()));
    const samples = wav.sampleRate === RATE ? wav.samples : resample(wav.samples, wav.sampleRate, RATE);
    run.inputSampleRate = wav.sampleRate;
    begin('file', samples.length);
    const what = `${name}: ${(samples.length / RATE).toFixed(1)} s, ${wav.sampleRate} Hz${wav.sampleRate === RATE ? '' : ' → 16 kHz'}, ` +
      `${wav.channels === 1 ? 'mono' : `${wav.channels} channels mixed`}, ${wav.bitsPerSample}-bit ${wav.encoding}`;
    $('run-status').textContent = `${what}…`;
    let work = 0, painted = performance.now();
    for (let at = 0; at < samples.length; at += CHUNK) {
      const t = performance.now();
      const out = detector.push(samples.subarray(at, at + CHUNK));
      work += performance.now() - t;
      take(out);
      if (performance.now() - painted > 30) { await new Promise(requestAnimationFrame); painted = performance.now(); }
    }
    take(detector.flush());
    const n = run.probabilities.length;
    $('run-status').textContent = `${what}. ${n} frames in ${Math.round(work)} ms ` +
      `(${((n * msPerFrame()) / Math.max(work, 1)).toFixed(0)}× real time).`;
    setState('done');
  } catch (err) {
    $('run-status').textContent = `Could not read ${name}: ${err.message}`;
    setState('ready');
  }
  busy = false;
  enable(true);
}

$('file').addEventListener('change', () => {
  const file = $('file').files[0];
  $('file').value = '';
  if (file) analyse(file, file.name);
});
$('sample').addEventListener('click', async () => {
  const res = await fetch(SAMPLE);
  if (res.ok) analyse(await res.blob(), 'speech-mix-16k.wav');
  else $('run-status').textContent = `Could not fetch the sample clip: ${res.status}`;
});

// ---------------------------------------------------------------------------------------------
// The microphone: getUserMedia → AudioContext (at the device's rate) → an AudioWorklet that posts
// Float32 chunks → resampled to 16 kHz with a carry-over (resampler.js) → detector.push().

async function startMic() {
  if (busy) return;
  busy = true;
  enable(false);
  let stream, context;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, autoGainControl: true, noiseSuppression: true },
    });
    context = new AudioContext();
    await context.resume();   // a click started us, so this is allowed
    const source = context.createMediaStreamSource(stream);
    const resampler = streamResampler(context.sampleRate, RATE, resample);
    const onChunk = (chunk) => { if (mic) take(detector.push(resampler.push(chunk))); };
    let node;
    if (context.audioWorklet && params.get('capture') !== 'script') {
      await context.audioWorklet.addModule(new URL('./capture.worklet.js', import.meta.url));
      node = new AudioWorkletNode(context, 'recur-capture', { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: 'explicit' });
      node.port.onmessage = (e) => onChunk(e.data);
      run.capture = 'AudioWorklet';
    } else {
      // Deprecated, but all there is where AudioWorklet is not (older browsers).
      node = context.createScriptProcessor(4096, 1, 1);
      node.onaudioprocess = (e) => onChunk(e.inputBuffer.getChannelData(0).slice());
      run.capture = 'ScriptProcessor';
    }
    run.inputSampleRate = context.sampleRate;
    begin('mic');
    mic = { stream, context, source, node, resampler };
    source.connect(node);
    node.connect(context.destination);   // it outputs silence; connected so the graph pulls it
    $('run-status').textContent = `Listening: ${stream.getAudioTracks()[0]?.label || 'microphone'} at ${context.sampleRate} Hz` +
      `${context.sampleRate === RATE ? '' : ' → 16 kHz'} (${run.capture}).`;
    $('stop').disabled = false;
    setState('listening');
  } catch (err) {
    for (const track of stream?.getTracks() ?? []) track.stop();
    context?.close();
    $('run-status').textContent = `No microphone: ${err.message}`;
    busy = false;
    enable(true);
    setState('ready');
  }
}

function stopMic() {
  if (!mic) return;
  const { stream, context, source, node, resampler } = mic;
  mic = undefined;
  source.disconnect();
  node.disconnect();
  for (const track of stream.getTracks()) track.stop();
  context.close();
  take(detector.push(resampler.flush()));
  take(detector.flush());   // the last partial frame, and an open segment ends
  $('run-status').textContent = `Stopped after ${((run.probabilities.length * msPerFrame()) / 1000).toFixed(1)} s.`;
  busy = false;
  enable(true);
  setState('done');
}

$('mic').addEventListener('click', startMic);
$('stop').addEventListener('click', stopMic);

// ---------------------------------------------------------------------------------------------
// The knobs: applied to the running detector at once (vad-web's setOptions); a finished file is
// segmented again from its probabilities, so the effect shows immediately.

function knobs() { return Object.fromEntries(KNOBS.map((k) => [k, Number($(k).value)])); }

function showKnobs() {
  const s = detector.segmenter;
  $('knob-status').textContent = `In ${msPerFrame()} ms frames: redemption ${s.redemptionFrames}, pad ${s.preSpeechPadFrames}, ` +
    `minimum speech ${s.minSpeechFrames}. The plot marks positiveSpeechThreshold (solid) and negativeSpeechThreshold (dashed).`;
}

$('knobs').addEventListener('input', () => {
  try {
    detector.segmenter.setOptions(knobs());   // a RecurOptionError for a bad value, and nothing changes
  } catch (err) {
    $('knobs').classList.add('bad');
    $('knob-status').textContent = err.message;
    return;
  }
  $('knobs').classList.remove('bad');
  showKnobs();
  if (run.source === 'file' && !busy) {
    const segmenter = new SpeechSegmenter({ ...knobs(), sampleRate: RATE, frameSamples: detector.frameSamples });
    const events = [...run.probabilities.flatMap((p) => segmenter.push(p)), ...segmenter.flush()];
    run.segments = events.filter((e) => e.type === 'end').map(segment);
    run.misfires = events.filter((e) => e.type === 'misfire').length;
    showSegments();
  }
  requestPlot();
});

function showSegments() {
  const s = (ms) => (ms / 1000).toFixed(2);
  $('segments').replaceChildren(...run.segments.map((g) => {
    const li = document.createElement('li');
    li.append(`${s(g.start)}–${s(g.end)} s `, Object.assign(document.createElement('span'), { className: 'len', textContent: `(${s(g.end - g.start)} s)` }));
    return li;
  }));
  $('segments').scrollTop = $('segments').scrollHeight;
  const n = run.segments.length;
  $('segment-status').textContent = run.source ? `${n} segment${n === 1 ? '' : 's'}` +
    `${run.misfires ? `, ${run.misfires} misfire${run.misfires === 1 ? '' : 's'} (shorter than minSpeechMs)` : ''}.` : '';
}

// ---------------------------------------------------------------------------------------------
// The plot: one point per frame, segments shaded, the thresholds marked; redrawn at most once per
// animation frame. A file fills the width; the microphone scrolls through the last 10 s.

let plotPending = false;
function requestPlot() {
  if (plotPending) return;
  plotPending = true;
  requestAnimationFrame(() => { plotPending = false; plot($('plot')); });
}

function plot(canvas) {
  const scale = devicePixelRatio;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w * scale || canvas.height !== h * scale) { canvas.width = w * scale; canvas.height = h * scale; }
  const g = canvas.getContext('2d');
  g.setTransform(scale, 0, 0, scale, 0, 0);
  g.clearRect(0, 0, w, h);
  if (!detector) return;
  const pad = { left: 34, right: 12, top: 10, bottom: 24 };
  const probs = run.probabilities, n = probs.length, frameMs = msPerFrame();
  const span = run.source === 'file' ? Math.max(run.totalFrames, n, 1) : Math.round(WINDOW_MS / frameMs);
  const first = Math.max(0, n - span);                 // the first frame shown
  const x = (f) => pad.left + ((f - first) / span) * (w - pad.left - pad.right);
  const y = (p) => pad.top + (1 - p) * (h - pad.top - pad.bottom);
  const shade = (from, to, color) => {
    if (to <= first) return;
    g.fillStyle = color;
    g.fillRect(x(Math.max(from, first)), pad.top, x(to) - x(Math.max(from, first)), y(0) - pad.top);
  };

  // Segments: the pre-speech pad lighter, the edges marked (one often starts where the last
  // ended), numbered as in the list. The open segment, from its first speech frame, lighter still.
  g.font = '11px system-ui, sans-serif';
  run.segments.forEach((s, i) => {
    const speech = Math.round(s.speechStart / frameMs);
    shade(s.startFrame, speech, 'rgba(47, 158, 68, 0.08)');
    shade(speech, s.endFrame, 'rgba(47, 158, 68, 0.18)');
    g.fillStyle = 'rgba(47, 158, 68, 0.8)';
    for (const f of [s.startFrame, s.endFrame]) if (f >= first) g.fillRect(x(f) - 1, pad.top, 2, y(0) - pad.top);
    if (s.startFrame >= first) g.fillText(String(i + 1), x(s.startFrame) + 4, pad.top + 11);
  });
  if (run.open !== null) shade(run.open, n, 'rgba(47, 158, 68, 0.1)');

  g.font = '12px system-ui, sans-serif';
  g.lineWidth = 1;
  g.strokeStyle = '#e3e6eb';
  g.fillStyle = '#5b6675';
  for (const p of [0, 0.5, 1]) {
    g.beginPath(); g.moveTo(pad.left, y(p)); g.lineTo(w - pad.right, y(p)); g.stroke();
    g.fillText(p.toFixed(1), 6, y(p) + 4);
  }
  const stepS = span * frameMs > 30_000 ? 5 : 1;      // a tick every second (or five)
  for (let t = Math.ceil((first * frameMs) / 1000 / stepS) * stepS; t * 1000 <= (first + span) * frameMs; t += stepS) {
    const label = `${t} s`, at = Math.min(x((t * 1000) / frameMs) - 6, w - g.measureText(label).width - 2);
    g.fillText(label, at, h - 7);
  }

  const { positiveSpeechThreshold: pos, negativeSpeechThreshold: neg } = detector.segmenter.options;
  const line = (p, color, dash, label, below) => {
    g.strokeStyle = color; g.fillStyle = color; g.setLineDash(dash);
    g.beginPath(); g.moveTo(pad.left, y(p)); g.lineTo(w - pad.right, y(p)); g.stroke();
    g.setLineDash([]);
    g.fillText(label, w - pad.right - g.measureText(label).width - 4, y(p) + (below ? 13 : -4));
  };
  line(pos, '#d9480f', [], `positive ${pos}`, false);
  if (neg !== pos) line(neg, '#c77c02', [5, 4], `negative ${neg}`, true);

  g.strokeStyle = '#2f6fde'; g.lineWidth = 1.5;
  g.beginPath();
  for (let f = first; f < n; f++) (f === first ? g.moveTo : g.lineTo).call(g, x(f + 0.5), y(probs[f]));
  g.stroke();
  run.plottedFrames = n - first;
}

addEventListener('resize', requestPlot);

start().catch((err) => {
  $('model-status').textContent = `Could not load the model: ${err.message}`;
  setState('error');
  console.error(err);
});
