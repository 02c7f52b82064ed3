// npm start: the shipped character LSTM (models/char-lstm.safetensors, trained on the Jargon
// File by recur's own Trainer) writes a few hundred characters, streamed as they are sampled:
// one Stream.step — one wasm call through embedding, LSTM and head — per character.
//
//   npm start [-- --seed 7 --length 600 --temperature 0.7 --prime ":kluge: n. "]

import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const root = new URL('../', import.meta.url);
if (!existsSync(new URL('dist/node.js', root))) {
  console.error('recur is not built yet: run npm run build (npm install does it too)');
  process.exit(1);
}
const { loadModel, sampleLogits, seededRandom } = await import(new URL('dist/node.js', root).href);

const { values } = parseArgs({ options: {
  seed: { type: 'string' }, length: { type: 'string' }, temperature: { type: 'string' }, prime: { type: 'string' },
} });
const PRIMES = [':hacker: n. ', ':kluge: n. ', ':wizard: n. ', ':bug: n. ', ':feature: n. ', ':cruft: n. ', 'The story of ', 'A hacker '];
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 32);
const length = Number(values.length ?? 400);
const temperature = Number(values.temperature ?? 0.7);
const prime = values.prime ?? PRIMES[seed % PRIMES.length];
if (!Number.isFinite(seed) || !(length >= 0) || !(temperature >= 0)) {
  console.error('usage: npm start [-- --seed N --length N --temperature T --prime TEXT]');
  process.exit(2);
}

const tty = process.stdout.isTTY === true;
const color = tty && !process.env.NO_COLOR;
const style = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const width = Math.min(process.stdout.columns || 80, 88) - 2;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const file = readFileSync(new URL('models/char-lstm.safetensors', root));
const vocab = Array.from(JSON.parse(readFileSync(new URL('models/char-lstm.json', root), 'utf8')).vocab);
const ids = new Map(vocab.map((c, i) => [c, i]));
const model = await loadModel(file);
const lstm = model.toJSON().layers.find((l) => l.type === 'lstm');
console.log(style('1', 'recur') + style('2', ` · a character-level LSTM (${lstm.hiddenSize} units, ${model.parameterCount.toLocaleString('en')} parameters, ` +
  `${(file.byteLength / 1e6).toFixed(1)} MB) trained on the Jargon File by recur's own trainer`));
console.log(style('2', `  temperature ${temperature}, seed ${seed}; every character is one wasm call\n`));

// recur's own seeded generator and softmax(logits / T) sampling, as recur run and the page use.
const rand = seededRandom(seed);
const sample = (logits) => sampleLogits(logits, temperature, rand);

// Word wrap while streaming: a word is held until the space after it says where it ends.
let column = 0, word = '';
async function put(text, paint) {
  for (const ch of text) {
    if (ch === '\n' || ch === ' ') {
      if (column + word.length > width && column > 0) { process.stdout.write('\n'); column = 0; }
      process.stdout.write(paint(word));
      column += word.length;
      word = '';
      if (ch === '\n') { process.stdout.write('\n'); column = 0; } else if (column > 0) { process.stdout.write(' '); column++; }
      if (tty) await sleep(12);
    } else {
      word += ch;
    }
  }
}

const stream = model.stream({ reuseOutput: true });
const primeIds = Array.from(prime).map((c) => ids.get(c) ?? ids.get(' '));
await put(prime, (w) => style('1;36', w));
let computeMs = 0;
let t0 = performance.now();
if (primeIds.length > 1) stream.steps(Int32Array.from(primeIds.slice(0, -1)), primeIds.length - 1);
let last = primeIds[primeIds.length - 1] ?? 0;
computeMs += performance.now() - t0;
// `length` characters, then on to the end of the word (at most 30 more).
let count = 0;
for (; count < length || (count < length + 30 && vocab[last] !== ' ' && vocab[last] !== '\n'); count++) {
  t0 = performance.now();
  last = sample(stream.step(Int32Array.of(last)));
  computeMs += performance.now() - t0;
  await put(vocab[last], (w) => w);
}
if (word) await put(' ', (w) => w);   // the last word
process.stdout.write('\n\n');
console.log(style('2', `${count} characters in ${computeMs.toFixed(0)} ms of compute (${Math.round((count * 1000) / computeMs).toLocaleString('en')} characters/s on one thread).`));
console.log(style('2', 'More: node bin/recur.js run models/char-lstm.safetensors --generate 500 --prime "The " · node bin/recur.js --help'));
stream.dispose();
model.dispose();
