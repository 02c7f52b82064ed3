// The untrusted-input surfaces the fuzzer (bench/fuzz.js) attacks. Each has seeds (the
// repository's real files, or files recur writes), a mutator that turns a seed into a case, and
// a run that feeds the case to recur and, when recur accepts it, uses the result (a forward
// pass, a step, a run of the graph), so a file that loads but breaks what follows is caught too.
//
// A run returns normally (a valid input), throws a RecurError (a typed refusal), or throws
// anything else: a TypeError, a RangeError, a wasm trap, or an InvariantError from a check here
// (weights that became non-finite, an output of the wrong length) — all bugs.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  havoc, int, mutateJsonText, mutateProto, mutateRiff, mutateSafetensors, mutateSafetensorsValues, parseProto, pick,
  protoFields, HOSTILE_NUMBERS,
} from './mutate.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const file = (path) => new Uint8Array(readFileSync(join(root, path)));

/** Not a RecurError, and not thrown by recur: a check of the fuzzer's own that recur failed. */
export class InvariantError extends Error {
  constructor(message) { super(message); this.name = 'InvariantError'; }
}

/** Every file under dir (relative to the repository) whose name passes `keep`. */
function filesUnder(dir, keep) {
  const out = [];
  const walk = (d) => {
    let entries;
    try { entries = readdirSync(join(root, d), { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else if (keep(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

const finite = (values) => { for (const v of values) if (!Number.isFinite(v)) return false; return true; };

function checkFiniteWeights(model, what) {
  for (const [name, t] of Object.entries(model.stateDict())) {
    if (!finite(t)) throw new InvariantError(`${what}: weight ${name} holds a non-finite value after a step that was not refused`);
  }
}

/** A forward pass of a few steps through a loaded Sequential, with inputs it accepts. */
function forwardSmall(model) {
  const layers = model.toJSON().layers;
  const first = layers[0];
  const T = 3, B = 2;
  let input;
  if (first.type === 'embedding') input = Int32Array.from({ length: T * B }, (_, i) => i % first.numEmbeddings);
  else {
    const features = first.type === 'linear' ? first.inFeatures : first.inputSize;
    if (T * B * features > 1 << 22) return;                          // a huge but valid model: loading was the test
    input = Float32Array.from({ length: T * B * features }, (_, i) => Math.sin(i));
  }
  const { output } = model.forward(input, { seqLen: T, batch: B });
  const last = layers[layers.length - 1];
  const outFeatures = last.type === 'linear' ? last.outFeatures : last.type === 'embedding' ? last.embeddingDim
    : last.hiddenSize * (last.bidirectional ? 2 : 1);
  if (output.length !== T * B * outFeatures) throw new InvariantError(`forward: output has ${output.length} values, expected ${T * B * outFeatures}`);
}

// ---------------------------------------------------------------------------------------------
// Small models of every kind, for seeds written by recur itself.

const ARCHITECTURES = [
  [{ name: 'embed', type: 'embedding', numEmbeddings: 11, embeddingDim: 4, seed: 1 }, { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 6, numLayers: 2, seed: 2 },
    { name: 'head', type: 'linear', inFeatures: 6, outFeatures: 11, seed: 3 }],
  [{ name: 'gru', type: 'gru', inputSize: 3, hiddenSize: 5, linearBeforeReset: false, seed: 4 }, { name: 'out', type: 'linear', inFeatures: 5, outFeatures: 2, seed: 5 }],
  [{ name: 'rnn', type: 'rnn', inputSize: 2, hiddenSize: 3, numLayers: 2, nonlinearity: 'relu', seed: 6 }],
  [{ name: 'lstm', type: 'lstm', inputSize: 3, hiddenSize: 4, peephole: true, clip: 3, seed: 7 }, { name: 'head', type: 'linear', inFeatures: 4, outFeatures: 3, bias: false, seed: 8 }],
  [{ name: 'bi', type: 'gru', inputSize: 2, hiddenSize: 3, bidirectional: true, batchFirst: true, seed: 9 }, { name: 'head', type: 'linear', inFeatures: 6, outFeatures: 2, seed: 10 }],
];

async function smallModels(node, rt) {
  const models = [];
  for (const layers of ARCHITECTURES) models.push(await node.Sequential.create({ layers }, rt));
  return models;
}

// ---------------------------------------------------------------------------------------------

/** @type {Record<string, { title: string, setup: Function, generate: Function, run: Function }>} */
export const SURFACES = {
  safetensors: {
    title: 'model files (loadModel: safetensors)',
    async setup({ node }) {
      const rt = await node.init();
      const seeds = [];
      const torchArchitecture = JSON.parse(readFileSync(join(root, 'models/char-lstm-torch.json'), 'utf8')).architecture;
      for (const path of filesUnder('models', (n) => n.endsWith('.safetensors'))) {
        seeds.push({ bytes: file(path), architecture: path.includes('torch') ? torchArchitecture : undefined, weight: 1 });
      }
      for (const path of filesUnder('test/fixtures/safetensors', (n) => n.endsWith('.safetensors'))) seeds.push({ bytes: file(path), weight: 1 });
      for (const model of await smallModels(node, rt)) {
        for (const dtype of ['f32', 'f16', 'int8']) seeds.push({ bytes: node.saveModel(model, { dtype }), weight: 4 });
        model.dispose();
      }
      return { seeds: weighted(seeds) };
    },
    generate(state, random) {
      const seed = pick(random, state.seeds);
      const r = random();
      const bytes = r < 0.45 ? mutateSafetensors(random, seed.bytes) : r < 0.6 ? mutateSafetensorsValues(random, seed.bytes)
        : havoc(random, seed.bytes, pick(random, state.seeds).bytes);
      return { files: { 'model.safetensors': bytes }, options: seed.architecture ? { architecture: seed.architecture } : {} };
    },
    async run({ node }, _state, c) {
      const model = await node.loadModel(c.files['model.safetensors'], c.options);
      try { forwardSmall(model); } finally { model.dispose(); }
    },
  },

  'onnx-layers': {
    title: 'ONNX files, layer importer (importOnnx as: layers)',
    async setup() {
      const paths = [...filesUnder('test/fixtures/onnx/torch', (n) => n.endsWith('.onnx')), ...filesUnder('test/fixtures/onnx/node', (n) => n.endsWith('.onnx')),
        ...filesUnder('test/fixtures/onnx/graphs', (n) => n.endsWith('.onnx')), ...filesUnder('test/fixtures/onnx/clip', (n) => n.endsWith('.onnx')),
        ...filesUnder('test/fixtures/onnx/bad', (n) => n.endsWith('.onnx'))];
      return { seeds: paths.map(protoSeed) };
    },
    generate(state, random) {
      const seed = pick(random, state.seeds);
      const bytes = random() < 0.75 ? mutateProto(random, seed.bytes, seed) : havoc(random, seed.bytes, pick(random, state.seeds).bytes);
      return { files: { 'model.onnx': bytes } };
    },
    async run({ onnx }, _state, c) {
      const model = await onnx.importOnnx(c.files['model.onnx'], { as: 'layers' });
      try { forwardSmall(model); } finally { model.dispose(); }
    },
  },

  'onnx-graph': {
    title: 'ONNX files, graph runtime (importOnnx as: graph, then run())',
    async setup() {
      const paths = [...filesUnder('test/fixtures/onnx', (n) => n.endsWith('.onnx'))];
      const seeds = paths.map(protoSeed);
      for (const v of ['v5', 'legacy']) {
        const s = protoSeed(`node_modules/@ricky0123/vad-web/dist/silero_vad_${v}.onnx`);
        s.weight = 40;
        seeds.push(s);
      }
      return { seeds: weighted(seeds) };
    },
    generate(state, random) {
      const seed = pick(random, state.seeds);
      const bytes = random() < 0.8 ? mutateProto(random, seed.bytes, seed) : havoc(random, seed.bytes, pick(random, state.seeds).bytes);
      return { files: { 'model.onnx': bytes } };
    },
    async run({ onnx }, _state, c) {
      const model = await onnx.importOnnx(c.files['model.onnx'], { as: 'graph' });
      try {
        const inputs = graphInputs(model);
        if (!inputs) return;                                         // inputs too large to build here
        const outputs = model.run(inputs);
        for (const o of model.outputs) if (!outputs[o.name]) throw new InvariantError(`run: output ${o.name} is missing`);
        if (Object.keys(model.states).length) {
          const s = model.stream();
          const free = model.inputs.filter((i) => !(i.name in model.states));
          s.step(Object.fromEntries(free.map((i) => [i.name, inputs[i.name]])));
        }
      } finally { model.dispose(); }
    },
  },

  tfjs: {
    title: 'TensorFlow.js model.json + weights (importTfjs)',
    async setup() {
      const seeds = filesUnder('test/fixtures/tfjs', (n) => n.endsWith('.json')).map((p) => ({
        json: readFileSync(join(root, p), 'utf8'), weights: file(p.replace(/\.json$/, '.weights.bin')),
      }));
      return { seeds };
    },
    generate(state, random) {
      const seed = pick(random, state.seeds);
      const r = random();
      let json = seed.json, weights = seed.weights;
      if (r < 0.65) json = mutateJsonText(random, json);
      else if (r < 0.85) weights = havoc(random, weights);
      else { json = mutateJsonText(random, json); weights = havoc(random, weights); }
      if (random() < 0.05) json = pick(random, state.seeds).json;   // another model's manifest
      return { files: { 'model.json': new TextEncoder().encode(json), 'weights.bin': weights }, options: { dropSoftmax: random() < 0.5 } };
    },
    async run({ tfjs }, _state, c) {
      const json = new TextDecoder().decode(c.files['model.json']);
      tfjs.tfjsArchitecture(json, c.options);
      const model = await tfjs.importTfjs(json, c.files['weights.bin'], c.options);
      try { forwardSmall(model); } finally { model.dispose(); }
    },
  },

  snapshots: {
    title: 'stream snapshots (Stream/GroupMember/GraphStream/SileroVad loadState)',
    async setup({ node, vad }) {
      const rt = await node.init();
      const models = await smallModels(node, rt);
      const streamable = models.filter((m) => !m.toJSON().layers.some((l) => l.bidirectional));
      const targets = [];
      const seeds = [];
      for (const m of streamable) {
        const ids = m.toJSON().layers[0].type === 'embedding';
        for (const batch of [1, 2]) {
          const s = m.stream({ batch });
          stepStream(s, 3, ids);
          seeds.push(s.saveState());
          targets.push({ kind: 'stream', s, ids });
        }
        const g = m.streamGroup({ capacity: 3 });
        g.join(); g.join();
        targets.push({ kind: 'group', g, ids });
      }
      const silero = await vad.SileroVad.load(file('node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx'));
      silero.process(new Float32Array(silero.frameSamples).fill(0.1));
      seeds.push(silero.saveState());
      targets.push({ kind: 'silero', s: silero });
      return { seeds: seeds.map((bytes) => ({ bytes })), targets, models };
    },
    generate(state, random) {
      const seed = pick(random, state.seeds);
      return { files: { 'snapshot.bin': havoc(random, seed.bytes, pick(random, state.seeds).bytes) }, target: int(random, state.targets.length) };
    },
    async run(_lib, state, c) {
      const bytes = c.files['snapshot.bin'];
      const t = state.targets[c.target % state.targets.length];
      if (t.kind === 'stream') { t.s.loadState(bytes); stepStream(t.s, 1, t.ids); return; }
      if (t.kind === 'silero') {
        // Snapshots restore states exactly, non-finite values included (src/stream/snapshot.ts), so
        // a NaN or huge state gives a NaN probability; a state of moderate values must give one in [0, 1].
        t.s.loadState(bytes);
        const p = t.s.process(new Float32Array(t.s.frameSamples));
        const head = 20 + 4 * new DataView(bytes.buffer, bytes.byteOffset).getUint32(16, true);
        const values = new Float32Array(bytes.slice(head, head + Math.floor((bytes.length - head) / 4) * 4).buffer);
        const moderate = values.every((v) => Math.abs(v) < 1e6);
        if (typeof p !== 'number' || (moderate && !(p >= 0 && p <= 1))) throw new InvariantError(`SileroVad: probability ${p} from a state of moderate values`);
        return;
      }
      const member = t.g.join(bytes);
      try {
        const y = t.g.step(t.ids ? Int32Array.from({ length: t.g.size }, (_, i) => i % 5) : new Float32Array(t.g.size * t.g.inputSize));
        if (y.length !== t.g.size * t.g.outputSize) throw new InvariantError(`streamGroup: output has ${y.length} values`);
      } finally { member.leave(); }
    },
  },

  checkpoints: {
    title: 'training checkpoints (Trainer.loadCheckpoint)',
    async setup({ node }) {
      const rt = await node.init();
      const [a, b, c] = await smallModels(node, rt);
      const int8 = await node.quantize(a, 'int8');
      const trainers = [
        new node.Trainer(a, { loss: 'crossEntropy', optimizer: 'adam', lr: 1e-2, clipNorm: 1 }),
        new node.Trainer(b, { loss: 'mse', optimizer: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
        new node.Trainer(int8, { loss: 'crossEntropy', optimizer: 'adamw', lr: 1e-2 }),
        new node.Trainer(c, { loss: 'mse', optimizer: 'adam', tbptt: { stepsPerUpdate: 2, stepsBack: 3 }, clipValue: 0.5 }),
      ];
      const seeds = [];
      for (const t of trainers) {
        for (let k = 0; k < 2; k++) trainStep(t);
        seeds.push({ bytes: t.saveCheckpoint() });
      }
      return { seeds, trainers };
    },
    generate(state, random) {
      const seed = pick(random, state.seeds);
      const r = random();
      const bytes = r < 0.4 ? mutateSafetensors(random, seed.bytes) : r < 0.7 ? mutateSafetensorsValues(random, seed.bytes)
        : havoc(random, seed.bytes, pick(random, state.seeds).bytes);
      return { files: { 'checkpoint.safetensors': bytes }, target: int(random, state.trainers.length) };
    },
    async run(_lib, state, c) {
      const t = state.trainers[c.target % state.trainers.length];
      t.loadCheckpoint(c.files['checkpoint.safetensors']);
      const r = trainStep(t);
      if (!r.skipped && !Number.isFinite(r.loss)) throw new InvariantError(`Trainer.step: loss ${r.loss} but the update was not skipped`);
      checkFiniteWeights(t.masterModel, 'checkpoint then step');
    },
  },

  wav: {
    title: 'WAV files (readWav, then resample to 16 kHz)',
    async setup() {
      const seeds = filesUnder('test/fixtures/audio', (n) => n.endsWith('.wav')).map((p) => ({ bytes: file(p) }));
      for (const [tag, bits, channels, rate, extensible] of [[1, 8, 1, 8000, false], [1, 16, 2, 44100, false], [1, 24, 1, 16000, false],
        [1, 32, 2, 22050, true], [3, 32, 1, 16000, false], [3, 64, 2, 48000, true], [1, 16, 1, 16000, true]]) {
        seeds.push({ bytes: synthWav(tag, bits, channels, rate, 600, extensible) });
      }
      return { seeds: weighted(seeds.map((s, i) => ({ ...s, weight: i < 2 ? 1 : 3 }))) };
    },
    generate(state, random) {
      const seed = pick(random, state.seeds);
      const bytes = random() < 0.55 ? mutateRiff(random, seed.bytes) : havoc(random, seed.bytes, pick(random, state.seeds).bytes);
      return { files: { 'audio.wav': bytes } };
    },
    async run({ vad }, _state, c) {
      const audio = vad.readWav(c.files['audio.wav']);
      if (!finite([audio.sampleRate])) throw new InvariantError(`readWav: sampleRate ${audio.sampleRate}`);
      const out = vad.resample(audio.samples, audio.sampleRate, 16000);
      if (!(out instanceof Float32Array)) throw new InvariantError('resample: not a Float32Array');
    },
  },

  hyperparameters: {
    title: 'training hyperparameters (Trainer options, lr, schedule)',
    async setup({ node }) {
      const rt = await node.init();
      const model = await node.Sequential.create({ layers: ARCHITECTURES[0] }, rt);
      const warm = new node.Trainer(model, { loss: 'crossEntropy' });   // the model's gradient blocks, kept from now on
      trainStep(warm);
      warm.dispose();
      return { model, initial: model.stateDict() };
    },
    generate(_state, random) {
      const value = () => {
        const r = random();
        if (r < 0.55) return pick(random, [NaN, Infinity, -Infinity, 1e39, -1e39, -1, -1e-3, 0, -0, 1e-45, 3.4e38, 1e30, 1e10, 2 ** 53]);
        if (r < 0.85) return pick(random, [1e-3, 0.1, 0.5, 0.9, 0.999, 1, 1e-8, 2, 10]);
        return pick(random, [null, undefined, '0.1', true, [], {}, HOSTILE_NUMBERS[int(random, HOSTILE_NUMBERS.length)]]);
      };
      const options = { loss: pick(random, ['crossEntropy', 'crossEntropy', 'mse', 'nope', undefined]), optimizer: pick(random, ['sgd', 'adam', 'adamw', undefined, 'rmsprop']) };
      for (const key of ['lr', 'momentum', 'dampening', 'weightDecay', 'eps', 'clipNorm', 'clipValue']) if (random() < 0.45) options[key] = value();
      if (random() < 0.4) options.betas = random() < 0.8 ? [value(), value()] : value();
      if (random() < 0.15) options.nesterov = pick(random, [true, false, 1, 'yes']);
      if (random() < 0.15) options.tbptt = pick(random, [{ stepsPerUpdate: 2 }, { stepsPerUpdate: value() }, { stepsPerUpdate: 3, stepsBack: value() }, null, 5]);
      if (random() < 0.1) options.checkpointEvery = value();
      if (random() < 0.1) options.ignoreIndex = value();
      if (random() < 0.1) options.lossSteps = pick(random, ['all', 'last', 'first']);
      const lrs = random() < 0.3 ? [value(), value()] : undefined;
      const scheduled = random() < 0.2 ? [value(), value(), value()] : undefined;
      const spec = { options, lrs, scheduled };
      return { files: { 'options.json': new TextEncoder().encode(JSON.stringify(spec, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) }, spec };
    },
    async run({ node }, state, c) {
      const { options, lrs, scheduled } = c.spec;
      state.model.loadStateDict(state.initial);
      const opts = { ...options, ...(scheduled ? { schedule: (step) => scheduled[step % scheduled.length] } : {}) };
      const trainer = new node.Trainer(state.model, opts);
      try {
        for (let k = 0; k < 3; k++) {
          if (lrs && k > 0) trainer.optimizer.lr = lrs[k - 1];
          const r = trainStep(trainer, 4);
          if (!r.skipped && !Number.isFinite(r.loss)) throw new InvariantError(`Trainer.step: loss ${r.loss} but the update was not skipped`);
          if (!finite([r.gradNorm]) && !r.skipped) throw new InvariantError(`Trainer.step: gradNorm ${r.gradNorm} but the update was not skipped`);
        }
        checkFiniteWeights(trainer.masterModel, 'hyperparameters');
      } finally { trainer.dispose(); }
    },
  },
};

// ---------------------------------------------------------------------------------------------

/** A seed list where a seed of weight w appears w times (so pick() favours it). */
function weighted(seeds) {
  return seeds.flatMap((s) => Array(s.weight ?? 1).fill(s));
}

function protoSeed(path) {
  const bytes = file(path);
  const tree = parseProto(bytes);
  return { path, bytes, tree, fields: tree ? protoFields(tree) : [] };
}

/** Inputs for every graph input: declared sizes, 2 for unknown ones; undefined if too large. */
function graphInputs(model) {
  const inputs = {};
  for (const i of model.inputs) {
    const dims = (i.dims ?? [1, 64]).map((d) => (typeof d === 'number' ? d : 2));
    const n = dims.reduce((a, b) => a * b, 1);
    if (!(n <= 1 << 20)) return undefined;
    let data;
    if (i.type === 'float') data = Float32Array.from({ length: n }, (_, k) => Math.sin(k) * 0.5);
    else if (i.type === 'bool') data = Array.from({ length: n }, (_, k) => k % 2 === 0);
    else data = Array.from({ length: n }, (_, k) => (i.name === 'sr' ? 16000 : k % 2));
    inputs[i.name] = { dims, data };
  }
  return inputs;
}

function stepStream(s, T, ids) {
  const x = ids ? Int32Array.from({ length: T * s.batch }, (_, i) => i % 5)
    : Float32Array.from({ length: T * s.batch * s.inputSize }, (_, i) => Math.cos(i));
  const y = T === 1 ? s.step(x) : s.steps(x, T);
  if (y.length !== T * s.batch * s.outputSize) throw new InvariantError(`stream: output has ${y.length} values`);
}

/** One training step on a fixed batch that fits the trainer's model. */
function trainStep(trainer, T = 4) {
  const layers = trainer.model.toJSON().layers;
  const first = layers[0], last = layers[layers.length - 1];
  const B = 2;
  const outFeatures = last.type === 'linear' ? last.outFeatures : last.hiddenSize * (last.bidirectional ? 2 : 1);
  const inputs = first.type === 'embedding' ? Int32Array.from({ length: T * B }, (_, i) => (i * 3) % first.numEmbeddings)
    : Float32Array.from({ length: T * B * first.inputSize }, (_, i) => Math.sin(i));
  const targets = trainer.options.loss === 'mse' ? Float32Array.from({ length: T * B * outFeatures }, (_, i) => Math.cos(i))
    : Int32Array.from({ length: T * B }, (_, i) => (i * 5) % outFeatures);
  return trainer.step(inputs, targets, { seqLen: T, batch: B });
}

/** A small WAV file of a tone in the given format (fmt written plainly or as WAVE_FORMAT_EXTENSIBLE). */
function synthWav(tag, bits, channels, rate, frames, extensible) {
  const width = bits / 8, block = width * channels;
  const fmtSize = extensible ? 40 : 16;
  const bytes = new Uint8Array(12 + 8 + fmtSize + 8 + frames * block);
  const v = new DataView(bytes.buffer);
  const ascii = (at, s) => { for (let i = 0; i < 4; i++) bytes[at + i] = s.charCodeAt(i); };
  ascii(0, 'RIFF'); v.setUint32(4, bytes.length - 8, true); ascii(8, 'WAVE');
  ascii(12, 'fmt '); v.setUint32(16, fmtSize, true);
  v.setUint16(20, extensible ? 0xfffe : tag, true); v.setUint16(22, channels, true); v.setUint32(24, rate, true);
  v.setUint32(28, rate * block, true); v.setUint16(32, block, true); v.setUint16(34, bits, true);
  if (extensible) {
    v.setUint16(36, 22, true); v.setUint16(38, bits, true); v.setUint32(40, 0, true); v.setUint16(44, tag, true);
    [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71].forEach((b, i) => { bytes[46 + i] = b; });
  }
  const data = 20 + fmtSize;
  ascii(data, 'data'); v.setUint32(data + 4, frames * block, true);
  for (let i = 0, at = data + 8; i < frames * channels; i++, at += width) {
    const x = Math.sin(i * 0.05) * 0.5;
    if (tag === 3) { if (bits === 32) v.setFloat32(at, x, true); else v.setFloat64(at, x, true); }
    else if (bits === 8) v.setUint8(at, Math.round(x * 127 + 128));
    else if (bits === 16) v.setInt16(at, Math.round(x * 32767), true);
    else if (bits === 24) { const s = Math.round(x * 8388607); v.setUint8(at, s & 0xff); v.setInt16(at + 1, s >> 8, true); }
    else v.setInt32(at, Math.round(x * 2147483647), true);
  }
  return bytes;
}
